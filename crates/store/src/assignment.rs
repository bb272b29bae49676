//! Automatic (round-robin) assignment of a new conversation, run inside the transaction that creates
//! it: the conversation is never visible unassigned, and a crash assigns nothing half-way.
//!
//! Who takes part and who is chosen are domain rules (`Permissions::takes_auto_assignment`,
//! `assignment::pick`); this module reads the candidates and writes the choice, with what tells of
//! it — the conversation's `system` notice and the audit entry — in that same transaction: an
//! assignment is never stored without them, and a worker's second stage, which publishes them, has
//! nothing to write (its writes waited for SQLite's one writer, held by the next batch's first stage).

use crate::users::UserRow;
use domain::assignment::Candidate;
use domain::ids::{AccountId, ChannelId, ConversationId, UserId};
use domain::permissions::Permissions;
use std::collections::HashMap;

#[derive(sqlx::FromRow)]
pub(crate) struct CandidateRow {
    #[sqlx(flatten)]
    pub user: UserRow,
    pub last_auto_assigned_turn: i64,
}

/// What the round-robin read in one transaction, so that a worker's batch that starts many
/// conversations reads each channel's switch and each account's candidates and workloads once, not
/// once per conversation (that read counts every open conversation of the account). Valid for its
/// transaction only: the account's turn row, updated before the first read, keeps other writers'
/// assignments out until commit (PostgreSQL's row lock; SQLite has one writer), so the only changes
/// meanwhile are this transaction's own, which it applies to what it read.
#[derive(Default)]
pub(crate) struct RoundRobin {
    pub channels: HashMap<ChannelId, bool>,
    pub accounts: HashMap<AccountId, Pool>,
    /// The conversations given in this transaction, in order: their notices and audit entries are
    /// written by [`finish_round_robin`].
    pub given: Vec<Given>,
}

/// A new conversation the round-robin gave to a user.
pub(crate) struct Given {
    pub account: AccountId,
    pub channel: ChannelId,
    pub conversation: ConversationId,
    pub user: UserId,
}

/// One account's round-robin as this transaction sees it.
pub(crate) struct Pool {
    /// The last turn taken; written back by [`finish_round_robin`] when it moved past `stored_turn`.
    pub turn: i64,
    pub stored_turn: i64,
    /// Its active and available users: their rights and their candidacy.
    pub candidates: Vec<(Permissions, Candidate)>,
    /// Their names, for the notices.
    pub names: HashMap<UserId, String>,
    /// Users given a conversation in this transaction, with the turn of their last one.
    pub assigned: HashMap<UserId, i64>,
}

impl RoundRobin {
    /// Picks among the users who take conversations of `channel`.
    pub fn pick(&self, account: AccountId, channel: ChannelId) -> Option<UserId> {
        let pool = self.accounts.get(&account)?;
        let candidates: Vec<Candidate> =
            pool.candidates.iter().filter(|(p, _)| p.takes_auto_assignment(channel)).map(|(_, c)| *c).collect();
        domain::assignment::pick(&candidates)
    }

    /// `user` got the new (open) `conversation` of `channel` at `turn`.
    pub fn assigned(&mut self, given: Given, turn: i64) {
        let Some(pool) = self.accounts.get_mut(&given.account) else { return };
        if let Some((_, c)) = pool.candidates.iter_mut().find(|(_, c)| c.user == given.user) {
            c.open_conversations += 1;
            c.last_turn = turn;
        }
        pool.assigned.insert(given.user, turn);
        self.given.push(given);
    }

    /// The contents of the `system` notices of the conversations given, in their order.
    pub(crate) fn notice_contents(&self) -> Vec<serde_json::Value> {
        self.given
            .iter()
            .map(|g| {
                let name = self.accounts.get(&g.account).and_then(|p| p.names.get(&g.user)).map_or("", String::as_str);
                domain::assignment::notice(Some((g.user, name)), None, None)
            })
            .collect()
    }

    /// The audit entries of the conversations given: automatic, so nobody's.
    pub(crate) fn audit_entries(&self) -> Vec<crate::audit::NewAuditEntry<'static>> {
        self.given
            .iter()
            .map(|g| crate::audit::NewAuditEntry {
                account: g.account,
                user: None,
                action: domain::assignment::audit_action(Some(g.user)),
                target_type: Some("conversation"),
                target_id: Some(g.conversation.to_string()),
                details: domain::assignment::audit_details(Some(g.user), None, true),
            })
            .collect()
    }
}

/// What [`finish_round_robin`] stored for the conversations it gave: each one's notice, as a read
/// would give it.
pub(crate) type Notices = HashMap<ConversationId, crate::messages::MessageRecord>;

/// When `$channel` has `auto_assign` on, assigns the (just created, unassigned) conversation
/// `$conversation` to the available user with the fewest open conversations, taking turns among
/// equals; evaluates to the chosen user's id, if anyone may take it. `$rr` is the transaction's
/// [`RoundRobin`].
macro_rules! auto_assign {
    ($tx:expr, $rr:expr, $account:expr, $channel:expr, $conversation:expr, $now:expr) => {{
        let conversation: &str = $conversation;
        let chosen = crate::assignment::pick_assignee!($tx, $rr, $account, $channel, conversation);
        if let Some(user) = chosen {
            sqlx::query("UPDATE conversations SET assignee_id = $2, updated_at = $3 WHERE id = $1")
                .bind(conversation)
                .bind(user.to_string())
                .bind($now)
                .execute(&mut *$tx)
                .await?;
        }
        chosen
    }};
}
pub(crate) use auto_assign;

/// Who [`auto_assign`] gives the new conversation `$conversation` (its id) of `$channel` to, counted
/// as given (the caller writes it, e.g. in the conversation's own insert; [`finish_round_robin`] its
/// notice); `None` when the channel's switch is off or no one may take it.
///
/// The account's turn counter is updated before anything is counted: on PostgreSQL that row lock
/// makes concurrent assignments of one account wait for each other until commit, so each counts the
/// workloads the previous one left (SQLite has one writer at a time already).
macro_rules! pick_assignee {
    ($tx:expr, $rr:expr, $account:expr, $channel:expr, $conversation:expr) => {{
        let rr: &mut crate::assignment::RoundRobin = $rr;
        let account: domain::ids::AccountId = $account;
        let channel: domain::ids::ChannelId = $channel;
        let conversation: domain::ids::ConversationId = crate::rows::parse_id($conversation, "conversation")?;
        let on = match rr.channels.get(&channel) {
            Some(on) => *on,
            None => {
                let on: Option<bool> = sqlx::query_scalar("SELECT auto_assign FROM channels WHERE id = $1")
                    .bind(channel.to_string())
                    .fetch_optional(&mut *$tx)
                    .await?;
                rr.channels.insert(channel, on == Some(true));
                on == Some(true)
            }
        };
        let mut chosen: Option<domain::ids::UserId> = None;
        if on {
            // The first assignment of the account in this transaction takes the turn row (and, on
            // PostgreSQL, its lock until commit) and reads the candidates; the next ones count on.
            let turn = match rr.accounts.get_mut(&account) {
                Some(pool) => {
                    pool.turn += 1;
                    pool.turn
                }
                None => {
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
                    let mut candidates = Vec::with_capacity(rows.len());
                    let mut names = std::collections::HashMap::with_capacity(rows.len());
                    for row in rows {
                        let last_turn = row.last_auto_assigned_turn;
                        let user = row.user.into_domain()?;
                        let id = user.id.to_string();
                        let open_conversations = open.iter().find(|(u, _)| *u == id).map_or(0, |(_, n)| *n);
                        let candidate = domain::assignment::Candidate { user: user.id, open_conversations, last_turn };
                        candidates.push((user.role.permissions(), candidate));
                        names.insert(user.id, user.name);
                    }
                    let pool = crate::assignment::Pool {
                        turn,
                        stored_turn: turn,
                        candidates,
                        names,
                        assigned: Default::default(),
                    };
                    rr.accounts.insert(account, pool);
                    turn
                }
            };
            chosen = rr.pick(account, channel);
            if let Some(user) = chosen {
                // The conversation is new, hence open: one more in the chosen user's workload.
                rr.assigned(crate::assignment::Given { account, channel, conversation, user }, turn);
            }
        }
        chosen
    }};
}
pub(crate) use pick_assignee;

/// Writes back what the round-robin of a transaction changed, before it commits: each account's
/// turn counter and the last turn of each user it gave a conversation to (one statement, however
/// many conversations and users the transaction assigned); and tells of each conversation it gave,
/// at `$now`: a `system` notice in the conversation and an audit entry (a few hundred a statement).
/// Evaluates to the notices stored ([`Notices`]).
macro_rules! finish_round_robin {
    ($tx:expr, $rr:expr, $now:expr) => {{
        let rr: &crate::assignment::RoundRobin = $rr;
        let now_ms: i64 = $now;
        for (account, pool) in &rr.accounts {
            if pool.turn != pool.stored_turn {
                sqlx::query("UPDATE auto_assign_turns SET turn = $2 WHERE account_id = $1")
                    .bind(account.to_string())
                    .bind(pool.turn)
                    .execute(&mut *$tx)
                    .await?;
            }
            if !pool.assigned.is_empty() {
                let q = crate::assignment::last_turns_update(&pool.assigned);
                crate::sql::bind_all!(sqlx::query(&q.sql), q).execute(&mut *$tx).await?;
            }
        }
        let backend = crate::sql::backend_of(&*$tx);
        let rows = crate::sql::ROWS_PER_INSERT;
        let contents = rr.notice_contents();
        let notices: Vec<crate::inbound::SystemNotice<'_>> = rr
            .given
            .iter()
            .zip(&contents)
            .map(|(g, content)| crate::inbound::SystemNotice {
                account: g.account,
                channel: g.channel,
                conversation: g.conversation,
                content,
            })
            .collect();
        let ids: Vec<domain::ids::MessageId> = notices.iter().map(|_| domain::ids::MessageId::new()).collect();
        for (notices, ids) in notices.chunks(rows).zip(ids.chunks(rows)) {
            let q = crate::inbound::notices_insert(backend, notices, ids, now_ms);
            crate::sql::bind_all!(sqlx::query(&q.sql), q).execute(&mut *$tx).await?;
        }
        for entries in rr.audit_entries().chunks(rows) {
            let q = crate::audit::audit_insert(backend, entries, now_ms);
            crate::sql::bind_all!(sqlx::query(&q.sql), q).execute(&mut *$tx).await?;
        }
        notices
            .iter()
            .zip(ids)
            .map(|(n, id)| (n.conversation, n.record(id, now_ms)))
            .collect::<crate::assignment::Notices>()
    }};
}
pub(crate) use finish_round_robin;

/// `UPDATE users SET last_auto_assigned_turn = …` for each user of `assigned` with their turn.
pub(crate) fn last_turns_update(assigned: &HashMap<UserId, i64>) -> crate::sql::SqlBuilder {
    let mut q = crate::sql::SqlBuilder::new("UPDATE users SET last_auto_assigned_turn = CASE id");
    for (user, turn) in assigned {
        q.push(" WHEN ").bind_text(user.to_string()).push(" THEN ").bind_int(*turn);
    }
    q.push(" END WHERE ").in_list("id", assigned.keys().map(UserId::to_string));
    q
}
