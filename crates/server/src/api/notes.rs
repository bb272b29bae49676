//! Private notes: `GET/POST /api/v1/conversations/{id}/notes`,
//! `PATCH/DELETE /api/v1/conversations/{id}/notes/{note_id}` (the author only), and
//! `GET /api/v1/conversations/{id}/mentionable` (who a note may mention). Anyone who may see the
//! conversation reads and writes its notes. A note is never a message: it is stored apart and no
//! send can carry it.

use crate::api::conversations::UserRef;
use crate::api::mentions::MentionView;
use crate::auth::CurrentUser;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Path};
use crate::realtime::{Event, Payload};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use domain::ids::{ConversationId, NoteId, UserId};
use serde::{Deserialize, Serialize};
use store::{ConversationRecord, NewMention, NoteRecord};
use utoipa_axum::{router::OpenApiRouter, routes};

pub use crate::views::note::{note_view, NoteView};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_notes, create_note))
        .routes(routes!(update_note, delete_note))
        .routes(routes!(mentionable))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct NoteList {
    /// Oldest first.
    pub items: Vec<NoteView>,
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct NoteBody {
    /// Up to 10 000 characters. Mention a teammate with `@[Name](user-id)` (from `mentionable`).
    text: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct MentionableList {
    /// Active users, other than the caller, who may see the conversation; by name.
    pub items: Vec<UserRef>,
}

fn checked_text(raw: &str) -> ApiResult<String> {
    domain::note::text(raw).map_err(|e| {
        let code = match e {
            domain::note::InvalidNote::Empty => "text_empty",
            domain::note::InvalidNote::TooLong => "text_too_long",
        };
        ApiError::unprocessable(code, e.to_string())
    })
}

/// The users a note's text mentions, each checked: an active user of the account who may see the
/// conversation (else `422 invalid_mention`: a mention nobody could follow is refused, not dropped).
/// Mentioning oneself notifies nobody.
async fn checked_mentions(
    state: &AppState,
    me: &CurrentUser,
    conversation: &ConversationRecord,
    text: &str,
) -> ApiResult<Vec<UserId>> {
    let mut out = vec![];
    for user in domain::note::mentions(text) {
        if user == me.user_id() {
            continue;
        }
        let found = match state.store.get_user(me.account_id(), user).await {
            Ok(u) => Some(u),
            Err(store::StoreError::NotFound) => None,
            Err(e) => return Err(e.into()),
        };
        let assignee = conversation.assignee.as_ref().map(|a| a.0);
        match found {
            Some(u) if u.active && u.role.permissions().can_see(u.id, conversation.channel_id, assignee) => {
                out.push(u.id)
            }
            Some(u) if u.active => {
                return Err(ApiError::unprocessable(
                    "invalid_mention",
                    format!("{} cannot see this conversation; assign it to them or mention someone who can", u.name),
                ))
            }
            _ => {
                return Err(ApiError::unprocessable(
                    "invalid_mention",
                    format!("{user} is not an active user of this account"),
                ))
            }
        }
    }
    Ok(out)
}

/// Tells each newly mentioned user, on their own socket only.
fn notify_mentions(state: &AppState, note: &NoteRecord, conversation: &ConversationRecord, made: &[NewMention]) {
    let now = state.clock.now();
    for m in made {
        let view = MentionView::new(m.id, note, conversation.clone(), state.now_ms(), None, now);
        state.events.publish(Event::to_user(conversation.account_id, m.user, Payload::MentionCreated(Box::new(view))));
    }
}

/// The notes of a conversation, oldest first.
#[utoipa::path(get, path = "/api/v1/conversations/{id}/notes", tag = "notes", params(("id" = ConversationId, Path)),
    responses((status = 200, body = NoteList), (status = 404, body = crate::error::ErrorBody)))]
async fn list_notes(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<ConversationId>,
) -> ApiResult<Json<NoteList>> {
    me.require_inbox()?;
    let notes = state.store.list_notes(me.account_id(), &me.scope(), id).await?;
    Ok(Json(NoteList { items: notes.into_iter().map(note_view).collect() }))
}

/// Add a private note to a conversation; each teammate it mentions is notified.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/notes", tag = "notes", params(("id" = ConversationId, Path)), request_body = NoteBody,
    responses((status = 201, body = NoteView), (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn create_note(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<ConversationId>,
    Json(req): Json<NoteBody>,
) -> ApiResult<(StatusCode, Json<NoteView>)> {
    me.require_inbox()?;
    let conversation = state.store.get_conversation(me.account_id(), &me.scope(), id).await?;
    let text = checked_text(&req.text)?;
    let mentions = checked_mentions(&state, &me, &conversation, &text).await?;
    let new = store::NewNote { conversation: id, author: me.user_id(), text: &text, mentions: &mentions };
    let (note, made) = state.store.create_note(me.account_id(), &me.scope(), new, state.now_ms()).await?;
    state
        .events
        .publish(Event::to_conversation(&conversation, Payload::NoteCreated(Box::new(note_view(note.clone())))));
    notify_mentions(&state, &note, &conversation, &made);
    Ok((StatusCode::CREATED, Json(note_view(note))))
}

/// Change a note's text (its author only). Newly mentioned teammates are notified; those no longer
/// mentioned lose the mention.
#[utoipa::path(patch, path = "/api/v1/conversations/{id}/notes/{note_id}", tag = "notes",
    params(("id" = ConversationId, Path), ("note_id" = NoteId, Path)), request_body = NoteBody,
    responses((status = 200, body = NoteView), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn update_note(
    State(state): State<AppState>,
    me: CurrentUser,
    Path((id, note_id)): Path<(ConversationId, NoteId)>,
    Json(req): Json<NoteBody>,
) -> ApiResult<Json<NoteView>> {
    me.require_inbox()?;
    let (conversation, _) = authored(&state, &me, id, note_id).await?;
    let text = checked_text(&req.text)?;
    let mentions = checked_mentions(&state, &me, &conversation, &text).await?;
    let (note, made) =
        state.store.update_note(me.account_id(), &me.scope(), note_id, &text, &mentions, state.now_ms()).await?;
    state
        .events
        .publish(Event::to_conversation(&conversation, Payload::NoteUpdated(Box::new(note_view(note.clone())))));
    notify_mentions(&state, &note, &conversation, &made);
    Ok(Json(note_view(note)))
}

/// Delete a note (its author only), with its mentions.
#[utoipa::path(delete, path = "/api/v1/conversations/{id}/notes/{note_id}", tag = "notes",
    params(("id" = ConversationId, Path), ("note_id" = NoteId, Path)),
    responses((status = 204), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
async fn delete_note(
    State(state): State<AppState>,
    me: CurrentUser,
    Path((id, note_id)): Path<(ConversationId, NoteId)>,
) -> ApiResult<StatusCode> {
    me.require_inbox()?;
    let (conversation, _) = authored(&state, &me, id, note_id).await?;
    state.store.delete_note(me.account_id(), &me.scope(), note_id).await?;
    state
        .events
        .publish(Event::to_conversation(&conversation, Payload::NoteDeleted { id: note_id, conversation_id: id }));
    Ok(StatusCode::NO_CONTENT)
}

/// The conversation and one of its notes, which the caller must have written (`403` otherwise).
async fn authored(
    state: &AppState,
    me: &CurrentUser,
    conversation: ConversationId,
    note: NoteId,
) -> ApiResult<(ConversationRecord, NoteRecord)> {
    let record = state.store.get_conversation(me.account_id(), &me.scope(), conversation).await?;
    let note = state.store.get_note(me.account_id(), &me.scope(), note).await?;
    if note.conversation_id != conversation {
        return Err(ApiError::NotFound);
    }
    if note.author.0 != me.user_id() {
        return Err(ApiError::Forbidden("only its author may change or delete a note"));
    }
    Ok((record, note))
}

/// Who a note in this conversation may mention: the active users, other than the caller, who may
/// see it — for the composer's @-menu.
#[utoipa::path(get, path = "/api/v1/conversations/{id}/mentionable", tag = "notes", params(("id" = ConversationId, Path)),
    responses((status = 200, body = MentionableList), (status = 404, body = crate::error::ErrorBody)))]
async fn mentionable(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<ConversationId>,
) -> ApiResult<Json<MentionableList>> {
    me.require_inbox()?;
    let conversation = state.store.get_conversation(me.account_id(), &me.scope(), id).await?;
    let assignee = conversation.assignee.as_ref().map(|a| a.0);
    let mut items: Vec<UserRef> = state
        .store
        .list_users(me.account_id())
        .await?
        .into_iter()
        .filter(|u| u.active && u.id != me.user_id())
        .filter(|u| u.role.permissions().can_see(u.id, conversation.channel_id, assignee))
        .map(|u| UserRef { id: u.id, name: u.name })
        .collect();
    items.sort_by_cached_key(|u| (u.name.to_lowercase(), u.id));
    Ok(Json(MentionableList { items }))
}
