//! Automatic (round-robin) assignment of a new conversation, run inside the transaction that creates
//! it: the conversation is never visible unassigned, and a crash assigns nothing half-way.
//!
//! Who takes part and who is chosen are domain rules (`Permissions::takes_auto_assignment`,
//! `assignment::pick`); this module reads the candidates and writes the choice.

use crate::users::UserRow;

#[derive(sqlx::FromRow)]
pub(crate) struct CandidateRow {
    #[sqlx(flatten)]
    pub user: UserRow,
    pub last_auto_assigned_turn: i64,
}

/// When `$channel` has `auto_assign` on, assigns the (just created, unassigned) conversation
/// `$conversation` to the available user with the fewest open conversations, taking turns among
/// equals; evaluates to the chosen user's id, if anyone may take it.
///
/// The account's turn counter is updated before anything is counted: on PostgreSQL that row lock
/// makes concurrent assignments of one account wait for each other until commit, so each counts the
/// workloads the previous one left (SQLite has one writer at a time already).
macro_rules! auto_assign {
    ($tx:expr, $account:expr, $channel:expr, $conversation:expr, $now:expr) => {{
        let account: domain::ids::AccountId = $account;
        let channel: domain::ids::ChannelId = $channel;
        let conversation: &str = $conversation;
        let on: Option<bool> = sqlx::query_scalar("SELECT auto_assign FROM channels WHERE id = $1")
            .bind(channel.to_string())
            .fetch_optional(&mut *$tx)
            .await?;
        let mut chosen: Option<domain::ids::UserId> = None;
        if on == Some(true) {
            let turn: i64 = sqlx::query_scalar(
                "INSERT INTO auto_assign_turns (account_id, turn) VALUES ($1, 1) \
                 ON CONFLICT (account_id) DO UPDATE SET turn = auto_assign_turns.turn + 1 RETURNING turn",
            )
            .bind(account.to_string())
            .fetch_one(&mut *$tx)
            .await?;
            let sql = format!(
                "SELECT {}, u.last_auto_assigned_turn FROM {} \
                 WHERE u.account_id = $1 AND u.active = TRUE AND u.available = TRUE",
                crate::users::USER_COLUMNS,
                crate::users::USER_FROM
            );
            let rows: Vec<crate::assignment::CandidateRow> =
                sqlx::query_as(&sql).bind(account.to_string()).fetch_all(&mut *$tx).await?;
            let open: Vec<(String, i64)> = sqlx::query_as(
                "SELECT assignee_id, COUNT(*) FROM conversations \
                 WHERE account_id = $1 AND status = 'open' AND assignee_id IS NOT NULL GROUP BY assignee_id",
            )
            .bind(account.to_string())
            .fetch_all(&mut *$tx)
            .await?;
            let mut candidates = vec![];
            for row in rows {
                let last_turn = row.last_auto_assigned_turn;
                let user = row.user.into_domain()?;
                if !user.role.permissions().takes_auto_assignment(channel) {
                    continue;
                }
                let id = user.id.to_string();
                let open_conversations = open.iter().find(|(u, _)| *u == id).map_or(0, |(_, n)| *n);
                candidates.push(domain::assignment::Candidate { user: user.id, open_conversations, last_turn });
            }
            chosen = domain::assignment::pick(&candidates);
            if let Some(user) = chosen {
                sqlx::query("UPDATE conversations SET assignee_id = $2, updated_at = $3 WHERE id = $1")
                    .bind(conversation)
                    .bind(user.to_string())
                    .bind($now)
                    .execute(&mut *$tx)
                    .await?;
                sqlx::query("UPDATE users SET last_auto_assigned_turn = $2 WHERE id = $1")
                    .bind(user.to_string())
                    .bind(turn)
                    .execute(&mut *$tx)
                    .await?;
            }
        }
        chosen
    }};
}
pub(crate) use auto_assign;
