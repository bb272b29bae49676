//! A label as the API and the events socket show it.

use domain::ids::LabelId;
use serde::Serialize;
use store::LabelRecord;

#[derive(Clone, Serialize, utoipa::ToSchema)]
pub struct LabelView {
    pub id: LabelId,
    pub name: String,
    /// `#rrggbb`.
    pub color: String,
}

impl From<LabelRecord> for LabelView {
    fn from(l: LabelRecord) -> Self {
        Self { id: l.id, name: l.name, color: l.color }
    }
}
