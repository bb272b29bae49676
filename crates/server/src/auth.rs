//! Authentication: passwords (argon2id), session cookies and API tokens.

pub mod credentials;
pub mod csrf;
pub mod current_user;
pub mod password;
pub mod routes;
pub mod throttle;

pub use current_user::CurrentUser;
