//! The message lifecycle as the store keeps it agrees with the domain's types (`domain::message`,
//! `domain::outbound`): the ranks in `messages.status_rank`, the SQL that moves statuses, the migration
//! that gave `received` its own rank, and the outbox's requests. Every test runs on SQLite and on
//! PostgreSQL.

extern crate inbox_store as store;

use domain::account::Plan;
use domain::channel::{ChannelAddress, ChannelKind};
use domain::ids::{AccountId, ChannelId, ConversationId, MessageId};
use domain::message::{MessageStatus, Origin};
use domain::outbound::OutboundRequest;
use store::{
    CustomerIdentity, IngestOutcome, NewAccount, NewChannel, NewMessage, NewOutbound, NewUser, RoleRef, Store,
    StoreOptions,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Backend {
    Sqlite,
    Postgres,
}

/// Generates `mod NAME { sqlite, postgres }` tests that run `async fn NAME(db: TestDb)` on each store.
macro_rules! on_both_stores {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                super::$name(super::TestDb::open(super::Backend::Sqlite).await).await
            }
            #[tokio::test]
            async fn postgres() {
                super::$name(super::TestDb::open(super::Backend::Postgres).await).await
            }
        }
    )*};
}

on_both_stores!(
    stored_statuses_carry_their_domain_rank,
    status_sql_moves_exactly_as_the_domain_allows,
    watermarks_move_outbound_messages_as_the_domain_allows,
    received_rank_migration_agrees_with_the_domain,
    outbox_rows_of_the_old_shape_are_read_and_unreadable_ones_named,
    a_send_is_claimed_after_its_pacing_and_only_a_started_call_is_in_doubt,
    what_a_batch_stores_is_given_back_as_a_read_gives_it,
    the_round_robins_notice_and_audit_entry_are_stored_with_the_conversation_it_gives,
    a_worker_marks_its_batch_processed_as_it_claims_the_next,
    deliveries_more_than_one_statement_takes_are_journaled_together_in_order,
    a_batch_larger_than_one_statement_takes_is_stored_whole,
);

/// A migrated database of one backend, with an account, a channel and one customer's conversation.
struct TestDb {
    store: Store,
    backend: Backend,
    url: String,
    pg_database: Option<String>,
    sqlite_dir: Option<std::path::PathBuf>,
    account: AccountId,
    channel: ChannelId,
    conversation: ConversationId,
}

fn pg_admin_url() -> String {
    std::env::var("INBOX_TEST_PG_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

const NOW: i64 = 1_750_000_000_000;

/// A fresh directory for a SQLite store, and the URL of its `inbox.db`.
fn sqlite_dir() -> (std::path::PathBuf, String) {
    let dir = std::env::temp_dir().join(format!("inbox-store-test-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let url = format!("sqlite://{}", dir.join("inbox.db").display());
    (dir, url)
}

impl TestDb {
    async fn open(backend: Backend) -> TestDb {
        let (url, pg_database, sqlite_dir) = match backend {
            Backend::Sqlite => {
                let (dir, url) = sqlite_dir();
                (url, None, Some(dir))
            }
            Backend::Postgres => {
                use sqlx::Connection;
                let admin = pg_admin_url();
                let prefix = std::env::var("INBOX_TEST_DB_PREFIX").unwrap_or_else(|_| "inbox_test".into());
                let name = format!("{prefix}_{}", uuid::Uuid::new_v4().simple());
                let mut conn = sqlx::PgConnection::connect(&admin)
                    .await
                    .unwrap_or_else(|e| panic!("PostgreSQL is required for the test-suite ({admin}): {e}"));
                sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await.expect("create database");
                let _ = conn.close().await;
                let (server, _) = admin.rsplit_once('/').expect("INBOX_TEST_PG_URL ends with a database name");
                (format!("{server}/{name}"), Some(name), None)
            }
        };
        let store = Store::open(&StoreOptions::new(&url)).await.expect("open store");
        let (account, _) = store
            .create_account(
                NewAccount { name: "Acme".into(), plan: Plan::Pro, addons: Default::default() },
                NewUser {
                    email: domain::email::Email::parse(&format!("a-{}@example.com", uuid::Uuid::new_v4().simple()))
                        .expect("email"),
                    name: "Admin".into(),
                    password_hash: "x".into(),
                    role: RoleRef::Admin,
                },
                NOW,
            )
            .await
            .expect("account");
        let channel = store
            .create_channel(
                account.id,
                NewChannel {
                    kind: ChannelKind::Messenger,
                    name: "Página".into(),
                    address: ChannelAddress::Messenger {
                        page_id: format!("1{}", uuid::Uuid::new_v4().as_u128() % 1_000_000_000),
                    },
                    access_token_enc: "sealed".into(),
                },
                NOW,
            )
            .await
            .expect("channel");
        let mut db = TestDb {
            store,
            backend,
            url,
            pg_database,
            sqlite_dir,
            account: account.id,
            channel: channel.id,
            conversation: ConversationId::new(),
        };
        let (_, conversation) = db.ingest(Origin::Customer, "m.first").await;
        db.conversation = conversation;
        db
    }

    fn customer() -> CustomerIdentity {
        CustomerIdentity { scoped_id: Some("PSID-1".into()), ..Default::default() }
    }

    /// Stores a message of `origin` with Meta id `external_id`.
    async fn ingest(&self, origin: Origin, external_id: &str) -> (MessageId, ConversationId) {
        let msg = NewMessage {
            external_id: external_id.into(),
            origin,
            kind: "text".into(),
            text: Some("hola".into()),
            content: serde_json::json!({}),
            reply_to_external_id: None,
            sent_at: NOW,
            attachments: vec![],
            anchors_window: origin == Origin::Customer,
            counts_as_unread: false,
            reopens: false,
        };
        match self.store.ingest_message(self.account, self.channel, &Self::customer(), &msg, NOW).await.expect("ingest")
        {
            IngestOutcome::Created { message_id, conversation_id, .. } => (message_id, conversation_id),
            other => panic!("not created: {other:?}"),
        }
    }

    /// Runs SQL on a connection of its own, as an older version of the server (or an operator) would.
    async fn execute(&self, sql: &str) {
        use sqlx::Connection;
        match self.backend {
            Backend::Sqlite => {
                let mut c = sqlx::SqliteConnection::connect(&self.url).await.expect("connect");
                sqlx::raw_sql(sql).execute(&mut c).await.expect("execute");
            }
            Backend::Postgres => {
                let mut c = sqlx::PgConnection::connect(&self.url).await.expect("connect");
                sqlx::raw_sql(sql).execute(&mut c).await.expect("execute");
            }
        }
    }

    /// Every message's (status, status_rank) as stored.
    /// An outbox row's `state`.
    async fn outbox_state(&self, message: MessageId) -> String {
        use sqlx::Connection;
        let sql = format!("SELECT state FROM outbox WHERE message_id = '{message}'");
        match self.backend {
            Backend::Sqlite => {
                let mut c = sqlx::SqliteConnection::connect(&self.url).await.expect("connect");
                sqlx::query_scalar(&sql).fetch_one(&mut c).await.expect("select")
            }
            Backend::Postgres => {
                let mut c = sqlx::PgConnection::connect(&self.url).await.expect("connect");
                sqlx::query_scalar(&sql).fetch_one(&mut c).await.expect("select")
            }
        }
    }

    async fn stored_statuses(&self) -> Vec<(String, i64)> {
        use sqlx::Connection;
        let sql = "SELECT status, status_rank FROM messages ORDER BY id";
        match self.backend {
            Backend::Sqlite => {
                let mut c = sqlx::SqliteConnection::connect(&self.url).await.expect("connect");
                sqlx::query_as(sql).fetch_all(&mut c).await.expect("select")
            }
            Backend::Postgres => {
                let mut c = sqlx::PgConnection::connect(&self.url).await.expect("connect");
                sqlx::query_as(sql).fetch_all(&mut c).await.expect("select")
            }
        }
    }

    async fn status_of(&self, message: MessageId) -> MessageStatus {
        let m = self
            .store
            .get_message(self.account, &domain::permissions::ConversationScope::All, message)
            .await
            .expect("message");
        m.status
    }

    /// Puts a message at `status` (with its rank), as if its earlier statuses had been applied.
    async fn force_status(&self, message: MessageId, status: MessageStatus) {
        self.execute(&format!(
            "UPDATE messages SET status = '{}', status_rank = {} WHERE id = '{message}'",
            status.as_str(),
            status.rank()
        ))
        .await;
    }

    fn outbound(text: &str) -> NewOutbound {
        NewOutbound {
            kind: "text".into(),
            text: Some(text.into()),
            content: serde_json::json!({}),
            reply_to_external_id: None,
            sender: None,
            request: OutboundRequest::Text { text: text.into(), reply_to: None },
            attachments: vec![],
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(dir) = self.sqlite_dir.take() {
            let _ = std::fs::remove_dir_all(dir);
        }
        if let Some(name) = self.pg_database.take() {
            // Drop is synchronous: a short-lived runtime on another thread drops the database.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
                rt.block_on(async {
                    use sqlx::Connection;
                    if let Ok(mut conn) = sqlx::PgConnection::connect(&pg_admin_url()).await {
                        let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                            .execute(&mut conn)
                            .await;
                    }
                })
            })
            .join();
        }
    }
}

async fn stored_statuses_carry_their_domain_rank(db: TestDb) {
    db.ingest(Origin::BusinessApp, "m.echo").await;
    db.store
        .insert_system_notice(db.account, db.channel, db.conversation, &serde_json::json!({"system": {}}), NOW)
        .await
        .expect("notice");
    let sent = db
        .store
        .enqueue_outbound(db.account, db.conversation, db.channel, &TestDb::outbound("a"), NOW)
        .await
        .expect("enqueue")
        .id;
    db.store.outbox_sent(sent, "m.sent", NOW).await.expect("sent");
    let failed = db
        .store
        .enqueue_outbound(db.account, db.conversation, db.channel, &TestDb::outbound("b"), NOW)
        .await
        .expect("enqueue")
        .id;
    db.store.outbox_failed(failed, None, "no", "because", NOW).await.expect("failed");
    db.store
        .enqueue_outbound(db.account, db.conversation, db.channel, &TestDb::outbound("c"), NOW)
        .await
        .expect("enqueue");
    db.store.apply_status(db.channel, "m.sent", MessageStatus::Read, None, None, NOW).await.expect("status");

    let stored = db.stored_statuses().await;
    let mut seen: Vec<MessageStatus> = vec![];
    for (status, rank) in &stored {
        let parsed = MessageStatus::parse(status).unwrap_or_else(|| panic!("unknown stored status {status}"));
        assert_eq!(*rank, parsed.rank(), "the stored rank of {status} is the domain's");
        seen.push(parsed);
    }
    for expected in [
        MessageStatus::Received,
        MessageStatus::Sent,
        MessageStatus::Pending,
        MessageStatus::Read,
        MessageStatus::Failed,
    ] {
        assert!(seen.contains(&expected), "{expected:?} was written: {stored:?}");
    }
}

async fn status_sql_moves_exactly_as_the_domain_allows(db: TestDb) {
    let mut n = 0;
    for from in MessageStatus::ALL {
        for to in MessageStatus::ALL {
            n += 1;
            let external_id = format!("m.{n}");
            let (message, _) = db.ingest(Origin::BusinessApp, &external_id).await;
            db.force_status(message, from).await;
            db.store.apply_status(db.channel, &external_id, to, None, None, NOW).await.expect("apply");
            let expected = if from.advances_to(to) { to } else { from };
            assert_eq!(db.status_of(message).await, expected, "{from:?} then {to:?}");
        }
    }
}

async fn watermarks_move_outbound_messages_as_the_domain_allows(db: TestDb) {
    for to in [MessageStatus::Delivered, MessageStatus::Read] {
        let mut messages = vec![];
        for (i, from) in MessageStatus::ALL.into_iter().enumerate() {
            let (message, _) = db.ingest(Origin::BusinessApp, &format!("w.{}.{i}", to.as_str())).await;
            db.force_status(message, from).await;
            messages.push((message, from));
        }
        db.store.apply_watermark(db.channel, "PSID-1", to, NOW, NOW).await.expect("watermark");
        for (message, from) in messages {
            let expected = if from.advances_to(to) { to } else { from };
            assert_eq!(db.status_of(message).await, expected, "{from:?} then a {to:?} watermark");
        }
    }
}

async fn received_rank_migration_agrees_with_the_domain(db: TestDb) {
    // A row as the server wrote it before `received` had a rank of its own.
    let (message, _) = db.ingest(Origin::Customer, "m.old").await;
    db.execute(&format!("UPDATE messages SET status_rank = 0 WHERE id = '{message}'")).await;
    let migration = match db.backend {
        Backend::Sqlite => include_str!("../migrations/sqlite/0011_received_rank.sql"),
        Backend::Postgres => include_str!("../migrations/postgres/0011_received_rank.sql"),
    };
    db.execute(migration).await;
    for (status, rank) in db.stored_statuses().await {
        let parsed = MessageStatus::parse(&status).expect("known status");
        assert_eq!(rank, parsed.rank(), "after the migration, {status} has the domain's rank");
    }
}

async fn outbox_rows_of_the_old_shape_are_read_and_unreadable_ones_named(db: TestDb) {
    let mut queued = vec![];
    for text in ["old", "fax", "garbage"] {
        queued.push(
            db.store
                .enqueue_outbound(db.account, db.conversation, db.channel, &TestDb::outbound(text), NOW)
                .await
                .expect("enqueue")
                .id,
        );
    }
    // As the composer wrote rows before the request was typed (keys in its order), and two rows no
    // version wrote.
    let rows = [
        r#"{"type":"media","media_kind":"image","storage_key":"ab/cd","mime":"image/jpeg","filename":null,"caption":"Hola","voice":false,"reply_to":null}"#,
        r#"{"type":"fax","number":"5215512345678"}"#,
        "not json",
    ];
    for (message, request) in queued.iter().zip(rows) {
        db.execute(&format!("UPDATE outbox SET request = '{request}' WHERE message_id = '{message}'")).await;
    }
    let claimed = db.store.claim_outbox(NOW, 60_000, 10).await.expect("one bad row does not fail the claim");
    assert_eq!(claimed.len(), 3);
    let request_of = |m: MessageId| claimed.iter().find(|i| i.message_id == m).expect("claimed").request.clone();
    assert_eq!(
        request_of(queued[0]),
        Ok(OutboundRequest::Media {
            media_kind: domain::media_rules::MediaKind::Image,
            file: domain::outbound::StoredFile {
                storage_key: "ab/cd".into(),
                mime: "image/jpeg".into(),
                filename: None
            },
            caption: Some("Hola".into()),
            voice: false,
            reply_to: None,
        })
    );
    let fax = request_of(queued[1]).expect_err("an unknown type is not read as something else");
    assert!(fax.contains("fax"), "the reason names what was found: {fax}");
    assert!(request_of(queued[2]).is_err(), "a damaged row is named, not skipped");
}

async fn a_send_is_claimed_after_its_pacing_and_only_a_started_call_is_in_doubt(db: TestDb) {
    let mut queued = vec![];
    for text in ["first", "second"] {
        let outbound = TestDb::outbound(text);
        let m = db.store.enqueue_outbound(db.account, db.conversation, db.channel, &outbound, NOW);
        queued.push(m.await.expect("enqueue").id);
    }
    // Looking costs no claim: a process killed while it waits for the pacing slot leaves both queued.
    assert_eq!(db.store.next_due_outbox_channel(NOW).await.expect("next"), Some((db.channel, ChannelKind::Messenger)));
    assert_eq!(db.store.next_due_outbox_channel(NOW).await.expect("next").map(|(c, _)| c), Some(db.channel));
    assert_eq!(db.outbox_state(queued[0]).await, "queued");
    assert_eq!(db.store.next_due_outbox_channel(NOW - 1).await.expect("next"), None, "not due yet");
    let other = db.store.claim_outbox_of_channel(NOW, 60_000, ChannelId::new()).await.expect("claim");
    assert!(other.is_none(), "another channel's claim takes none of these rows");
    for m in &queued {
        let item = db.store.claim_outbox_of_channel(NOW, 60_000, db.channel).await.expect("claim").expect("a row");
        assert_eq!(item.message_id, *m, "the channel's rows in order");
        assert_eq!(db.outbox_state(*m).await, "sending");
    }
    assert_eq!(db.store.next_due_outbox_channel(NOW).await.expect("next"), None, "nothing left queued");
    // The process dies: the first before its call started, the second during its call.
    assert!(db.store.outbox_calling(queued[1], NOW + 10).await.expect("calling"), "its claim holds");
    let expired = NOW + 60_001;
    assert_eq!(db.store.outbox_requeue_interrupted(NOW).await.expect("requeue"), 0, "leases still running");
    assert!(db.store.outbox_abandoned(NOW).await.expect("abandoned").is_empty(), "leases still running");
    assert_eq!(db.store.outbox_requeue_interrupted(expired).await.expect("requeue"), 1);
    assert_eq!(db.outbox_state(queued[0]).await, "queued", "nothing of it reached Meta: sent again");
    let abandoned = db.store.outbox_abandoned(expired).await.expect("abandoned");
    assert_eq!(abandoned, vec![(queued[1], db.channel)], "only the one whose call started is in doubt");
    // A process that stalled past its lease (the row queued again, or taken by another) must not send.
    assert!(!db.store.outbox_calling(queued[0], expired).await.expect("calling"), "its claim is lost");
    let again = db.store.claim_outbox_of_channel(expired, 60_000, db.channel).await.expect("claim").expect("a row");
    assert!(!db.store.outbox_calling(again.message_id, expired + 60_001).await.expect("calling"), "lease ran out");
    assert!(
        db.store.outbox_calling(again.message_id, expired + 1).await.expect("calling"),
        "the new owner's claim holds"
    );
}

/// A PostgreSQL that is restarting ends its connections ("terminating connection due to
/// administrator command"): that is the database being unavailable — the webhook is answered 503 and
/// the worker retries at once — not a bad request or a bad row.
#[tokio::test]
async fn a_connection_the_server_ends_counts_as_the_database_unavailable() {
    use sqlx::Connection;
    let mut victim = sqlx::PgConnection::connect(&pg_admin_url()).await.expect("PostgreSQL is required");
    let pid: i32 = sqlx::query_scalar("SELECT pg_backend_pid()").fetch_one(&mut victim).await.expect("pid");
    let waiting =
        tokio::spawn(async move { sqlx::query("SELECT pg_sleep(30)").execute(&mut victim).await.map(|_| ()) });
    let mut admin = sqlx::PgConnection::connect(&pg_admin_url()).await.expect("admin connection");
    // The victim's query has to have started before it is ended.
    for _ in 0..100 {
        let active: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND state = 'active')")
                .bind(pid)
                .fetch_one(&mut admin)
                .await
                .expect("pg_stat_activity");
        if active {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let ended: bool =
        sqlx::query_scalar("SELECT pg_terminate_backend($1)").bind(pid).fetch_one(&mut admin).await.expect("terminate");
    assert!(ended);
    let error = waiting.await.expect("joined").expect_err("the query was ended");
    let error = store::StoreError::from(error);
    assert!(error.is_unavailable(), "{error:?}");
}

/// The inbound worker publishes a batch's new messages from what the store gives back, without reading them: that must be exactly what a read gives (a reply's quoted
/// message, the attachments waiting to be fetched, the statuses, the times).
async fn what_a_batch_stores_is_given_back_as_a_read_gives_it(db: TestDb) {
    use domain::permissions::ConversationScope;
    let message = |external_id: &str, reply_to: Option<&str>, attachments: Vec<store::NewAttachment>| NewMessage {
        external_id: external_id.into(),
        origin: Origin::Customer,
        kind: if attachments.is_empty() { "text".into() } else { "image".into() },
        text: Some("¿Tienen talla M?".into()),
        content: serde_json::json!({"body": "¿Tienen talla M?", "extra": [1, 2]}),
        reply_to_external_id: reply_to.map(Into::into),
        sent_at: NOW + 5,
        attachments,
        anchors_window: true,
        counts_as_unread: true,
        reopens: true,
    };
    let photo = store::NewAttachment {
        kind: domain::media_rules::MediaKind::Image,
        declared_mime: Some("image/jpeg".into()),
        filename: Some("talla.jpg".into()),
        source: serde_json::json!({"url": "https://example.com/talla.jpg"}),
    };
    let item =
        |msg: NewMessage| store::IngestItem { account: db.account, channel: db.channel, who: TestDb::customer(), msg };
    let items = vec![
        // A reply to a message stored earlier, with a photo.
        item(message("m.reply", Some("m.first"), vec![photo])),
        // A reply to a message Meta never sent us.
        item(message("m.orphan", Some("m.unknown"), vec![])),
        // Already stored: nothing is given back for it.
        item(message("m.first", None, vec![])),
    ];
    let outcomes = db.store.ingest_messages(&items, NOW + 10).await.expect("ingest");
    assert_eq!(outcomes.len(), 3);
    let mut given = Vec::new();
    for outcome in &outcomes[..2] {
        match outcome {
            IngestOutcome::Created { message_id, record, .. } => {
                assert_eq!(record.id, *message_id);
                given.push((**record).clone());
            }
            other => panic!("not created: {other:?}"),
        }
    }
    assert!(matches!(outcomes[2], IngestOutcome::Duplicate { .. }), "{:?}", outcomes[2]);
    assert_eq!(given[0].reply_to.as_ref().map(|q| q.kind.as_str()), Some("text"));
    assert_eq!(given[0].attachments.len(), 1);
    assert!(given[1].reply_to.is_none());
    for record in &given {
        let read = db.store.get_message(db.account, &ConversationScope::All, record.id).await.expect("read");
        assert_eq!(format!("{record:?}"), format!("{read:?}"));
    }
}

/// The round-robin gives a new conversation to someone in the transaction that creates it, and
/// leaves its `system` notice and audit entry in that same transaction: nothing is written after
/// commit, so a crash never leaves an assignment untold in the conversation or the log. The notice
/// comes back with the message that opened the conversation, as a read gives it; a message not yet
/// announced names it, for the worker that announces it after a crash.
async fn the_round_robins_notice_and_audit_entry_are_stored_with_the_conversation_it_gives(db: TestDb) {
    let store = &db.store;
    let patch = store::ChannelPatch { auto_assign: Some(true), ..Default::default() };
    store.update_channel(db.account, db.channel, patch).await.expect("auto-assign on");
    let admin = store.list_users(db.account).await.expect("users").remove(0);
    let customer = |psid: &str| CustomerIdentity { scoped_id: Some(psid.into()), ..Default::default() };
    let message = |external_id: &str| NewMessage {
        external_id: external_id.into(),
        origin: Origin::Customer,
        kind: "text".into(),
        text: Some("hola".into()),
        content: serde_json::json!({}),
        reply_to_external_id: None,
        sent_at: NOW + 5,
        attachments: vec![],
        anchors_window: true,
        counts_as_unread: true,
        reopens: true,
    };
    let item = |psid: &str, external_id: &str| store::IngestItem {
        account: db.account,
        channel: db.channel,
        who: customer(psid),
        msg: message(external_id),
    };
    // Two customers writing for the first time, and the one whose conversation exists already.
    let items = [item("PSID-2", "m.new.1"), item("PSID-3", "m.new.2"), item("PSID-1", "m.again")];
    let outcomes = store.ingest_messages(&items, NOW + 10).await.expect("ingest");
    let mut given = Vec::new();
    for outcome in &outcomes[..2] {
        let IngestOutcome::Created { conversation_id, new_conversation: true, notice: Some(notice), .. } = outcome
        else {
            panic!("a new conversation with its notice: {outcome:?}");
        };
        assert_eq!(notice.conversation_id, *conversation_id);
        assert_eq!(notice.kind, "system");
        assert_eq!(notice.content["system"]["type"], "assignment");
        assert_eq!(notice.content["system"]["assignee"]["id"], admin.id.to_string());
        assert_eq!(notice.content["system"]["assignee"]["name"], "Admin");
        assert_eq!(notice.content["system"]["auto"], true);
        let read = store.messages_by_ids(db.account, &[notice.id]).await.expect("read");
        assert_eq!(format!("{:?}", **notice), format!("{:?}", read[0]), "given back as a read gives it");
        given.push((*conversation_id, notice.id));
    }
    assert!(
        matches!(&outcomes[2], IngestOutcome::Created { new_conversation: false, notice: None, .. }),
        "{:?}",
        outcomes[2]
    );
    let filter = store::AuditFilter { action: Some("conversation.assigned".into()), ..Default::default() };
    let audit = store.list_audit(db.account, &filter, None, 10).await.expect("audit");
    let mut logged: Vec<String> = audit.iter().filter_map(|e| e.target_id.clone()).collect();
    logged.sort();
    let mut expected: Vec<String> = given.iter().map(|(c, _)| c.to_string()).collect();
    expected.sort();
    assert_eq!(logged, expected, "one audit entry per assignment");
    assert!(audit.iter().all(|e| e.user_id.is_none() && e.details["auto"] == true), "{audit:?}");
    // Not announced yet: the same deliveries again name each message's notice.
    let again = store.ingest_messages(&items[..2], NOW + 20).await.expect("again");
    for (outcome, (_, notice)) in again.iter().zip(&given) {
        let IngestOutcome::Duplicate { unannounced: Some(unannounced), .. } = outcome else {
            panic!("a duplicate not announced: {outcome:?}");
        };
        assert_eq!(*unannounced, store::Unannounced { new_conversation: true, notice: Some(*notice) });
    }
    // Announced: a later batch forgets them in its own transaction, and meets them as announced.
    let announced: Vec<MessageId> = outcomes[..2]
        .iter()
        .filter_map(|o| match o {
            IngestOutcome::Created { message_id, .. } => Some(*message_id),
            IngestOutcome::Duplicate { .. } => None,
        })
        .collect();
    let later = [item("PSID-5", "m.later"), items[0].clone()];
    let outcomes = store.forget_and_ingest_messages(&announced, &later, NOW + 25).await.expect("later");
    assert!(matches!(outcomes[0], IngestOutcome::Created { .. }), "{:?}", outcomes[0]);
    assert!(matches!(outcomes[1], IngestOutcome::Duplicate { unannounced: None, .. }), "{:?}", outcomes[1]);
    let again = store.ingest_messages(&items[1..2], NOW + 26).await.expect("again");
    assert!(matches!(again[0], IngestOutcome::Duplicate { unannounced: None, .. }), "{:?}", again[0]);
    // One message alone (a call's notice, a message outside a worker batch) gets its notice too.
    let alone = store.ingest_message(db.account, db.channel, &customer("PSID-4"), &message("m.alone"), NOW + 30).await;
    let IngestOutcome::Created { conversation_id, notice: Some(notice), .. } = alone.expect("alone") else {
        panic!("a new conversation with its notice");
    };
    assert_eq!(notice.conversation_id, conversation_id);
    let audit = store.list_audit(db.account, &filter, None, 10).await.expect("audit");
    assert_eq!(audit.len(), 4, "{audit:?}");
}

/// The inbound worker ends a batch and claims the next in one transaction: what it finished is
/// never claimed again, the rest is claimed oldest first, and a claim still running is left alone.
async fn a_worker_marks_its_batch_processed_as_it_claims_the_next(db: TestDb) {
    let store = &db.store;
    let now = 1_000_000;
    let bodies = ["{\"n\":1}", "{\"n\":2}", "{\"n\":3}", "{\"n\":4}", "{\"n\":5}"];
    let deliveries: Vec<(&str, i64)> = bodies.iter().map(|b| (*b, now)).collect();
    let ids = store.journal_webhooks(&deliveries).await.unwrap();
    let first = store.finish_and_claim_webhooks(&[], now, 6_000, 2).await.unwrap();
    assert_eq!(first.iter().map(|e| e.id.clone()).collect::<Vec<_>>(), ids[..2]);
    assert_eq!(first.iter().map(|e| e.body.as_str()).collect::<Vec<_>>(), bodies[..2]);
    assert!(first.iter().all(|e| e.attempts == 1));
    // Only the first of the two was applied; the second stays claimed (its lease runs).
    let finished = vec![first[0].id.clone()];
    let second = store.finish_and_claim_webhooks(&finished, now + 1, 6_000, 2).await.unwrap();
    assert_eq!(second.iter().map(|e| e.id.clone()).collect::<Vec<_>>(), ids[2..4]);
    assert_eq!(store.pending_webhooks().await.unwrap(), 4, "one processed; one claimed earlier, two now, one pending");
    let finished: Vec<String> = second.iter().map(|e| e.id.clone()).collect();
    let third = store.finish_and_claim_webhooks(&finished, now + 2, 6_000, 2).await.unwrap();
    assert_eq!(third.iter().map(|e| e.id.clone()).collect::<Vec<_>>(), ids[4..]);
    assert_eq!(store.pending_webhooks().await.unwrap(), 2, "the one left claimed and the last");
    // When the lease of the one left claimed runs out, it is claimed again (a second attempt).
    let finished = vec![third[0].id.clone()];
    let again = store.finish_and_claim_webhooks(&finished, now + 7_000, 6_000, 2).await.unwrap();
    assert_eq!(again.iter().map(|e| (e.id.clone(), e.attempts)).collect::<Vec<_>>(), vec![(ids[1].clone(), 2)]);
    let done = vec![again[0].id.clone()];
    assert!(store.finish_and_claim_webhooks(&done, now + 7_001, 6_000, 2).await.unwrap().is_empty());
    assert_eq!(store.pending_webhooks().await.unwrap(), 0);
}

/// The webhook writer's groups fit one statement (written without BEGIN and COMMIT); a larger set of
/// deliveries takes several statements in one transaction. Either way every one is there, in order.
async fn deliveries_more_than_one_statement_takes_are_journaled_together_in_order(db: TestDb) {
    let store = &db.store;
    let bodies: Vec<String> = (0..1_100).map(|n| format!("{{\"n\":{n}}}")).collect();
    let deliveries: Vec<(&str, i64)> = bodies.iter().map(|b| (b.as_str(), 5)).collect();
    let ids = store.journal_webhooks(&deliveries[..3]).await.unwrap();
    let more = store.journal_webhooks(&deliveries[3..]).await.unwrap();
    assert_eq!(store.pending_webhooks().await.unwrap(), 1_100);
    let claimed = store.finish_and_claim_webhooks(&[], 10, 6_000, 2_000).await.unwrap();
    let all: Vec<String> = ids.into_iter().chain(more).collect();
    assert_eq!(claimed.iter().map(|e| e.id.clone()).collect::<Vec<_>>(), all, "in the order journaled");
    assert_eq!(claimed.iter().map(|e| e.body.clone()).collect::<Vec<_>>(), bodies);
}

/// A delivery of imported history can bring more messages and new customers than one statement
/// takes (SQLite binds at most 32 766 values): the batch is written in several, and still as one
/// message at a time would be — here with a repeat, in the middle, of a message of the first part.
async fn a_batch_larger_than_one_statement_takes_is_stored_whole(db: TestDb) {
    let customer = |n: usize| CustomerIdentity {
        wa_id: Some(format!("5215500{n:06}")),
        profile_name: Some(format!("Cliente {n}")),
        ..Default::default()
    };
    let message = |n: usize| NewMessage {
        external_id: format!("wamid.big.{n}"),
        origin: Origin::Customer,
        kind: "text".into(),
        text: Some(format!("mensaje {n}")),
        content: serde_json::json!({}),
        reply_to_external_id: None,
        sent_at: NOW + n as i64,
        attachments: vec![],
        anchors_window: true,
        counts_as_unread: true,
        reopens: true,
    };
    let item = |who: usize, msg: usize| store::IngestItem {
        account: db.account,
        channel: db.channel,
        who: customer(who),
        msg: message(msg),
    };
    // 4 000 messages of 17 values: more than either backend binds in one statement (PostgreSQL at
    // most 65 535).
    let mut items: Vec<store::IngestItem> = (0..4_000).map(|n| item(n, n)).collect();
    items.insert(2_700, item(10, 10));
    let outcomes = db.store.ingest_messages(&items, NOW + 2_000).await.expect("ingest");
    assert_eq!(outcomes.len(), 4_001);
    let mut conversations = std::collections::HashSet::new();
    for (i, outcome) in outcomes.iter().enumerate() {
        match outcome {
            IngestOutcome::Created { conversation_id, new_conversation, record, .. } => {
                assert!(new_conversation, "item {i}");
                assert_eq!(record.text.as_deref(), items[i].msg.text.as_deref());
                assert!(conversations.insert(*conversation_id), "item {i}: one conversation per customer");
            }
            IngestOutcome::Duplicate { conversation_id, .. } => {
                assert_eq!(i, 2_700, "only the repeat is a duplicate");
                let IngestOutcome::Created { conversation_id: first, .. } = &outcomes[10] else { panic!("item 10") };
                assert_eq!(conversation_id, first);
            }
        }
    }
    assert_eq!(conversations.len(), 4_000);
}

/// SQLite keeps the webhook journal in a file of its own beside the database. Deliveries an older
/// version left in the main file's `webhook_events` are moved there at start: the open ones are
/// claimed as before, the finished ones stay finished, and none is there twice — also when a start
/// that was killed after copying them is followed by another.
#[tokio::test]
async fn deliveries_journaled_in_the_main_file_by_an_older_version_are_moved_to_the_journal_file() {
    use sqlx::Connection;
    let (dir, url) = sqlite_dir();
    let store = Store::open(&StoreOptions::new(&url)).await.expect("open");
    store.close().await;
    assert!(dir.join("inbox.webhooks.db").exists(), "the journal's file is beside the database");

    // What an older version left in the main file: one delivery pending, one processed.
    let leftovers = "INSERT INTO webhook_events (id, received_at, body, status, attempts, processed_at) VALUES \
         ('00000000-0000-7000-8000-000000000001', 1, '{\"n\":1}', 'processed', 1, 2), \
         ('00000000-0000-7000-8000-000000000002', 3, '{\"n\":2}', 'pending', 0, NULL)";
    let mut main = sqlx::SqliteConnection::connect(&url).await.expect("main file");
    sqlx::raw_sql(leftovers).execute(&mut main).await.expect("leftovers");
    // A start killed between the copy and the delete already copied the pending one.
    let journal_url = format!("sqlite://{}", dir.join("inbox.webhooks.db").display());
    let mut journal = sqlx::SqliteConnection::connect(&journal_url).await.expect("journal file");
    sqlx::raw_sql(
        "INSERT INTO webhook_events (id, received_at, body, status, attempts) VALUES \
         ('00000000-0000-7000-8000-000000000002', 3, '{\"n\":2}', 'pending', 0)",
    )
    .execute(&mut journal)
    .await
    .expect("copied once already");
    journal.close().await.expect("close");

    let store = Store::open(&StoreOptions::new(&url)).await.expect("open again");
    assert_eq!(store.count_webhook_journal().await.unwrap(), 2, "both moved, none twice");
    assert_eq!(store.pending_webhooks().await.unwrap(), 1);
    let claimed = store.finish_and_claim_webhooks(&[], 10, 6_000, 10).await.unwrap();
    assert_eq!(claimed.iter().map(|e| e.body.as_str()).collect::<Vec<_>>(), ["{\"n\":2}"], "the open one, once");
    let left: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM webhook_events").fetch_one(&mut main).await.expect("count");
    assert_eq!(left, 0, "nothing is left in the main file");
    main.close().await.expect("close");
    store.close().await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// An in-memory SQLite database would lose what was acknowledged to Meta at the next restart.
#[tokio::test]
async fn an_in_memory_sqlite_database_is_refused_with_a_reason() {
    let error = Store::open(&StoreOptions::new("sqlite::memory:")).await.err().expect("refused");
    assert!(error.to_string().contains("in-memory"), "{error}");
}

/// The server's checkpointer copies the write-ahead logs of both files (database and journal) into
/// them, so that commits do not have to.
#[tokio::test]
async fn a_checkpoint_copies_both_write_ahead_logs_into_their_files() {
    use sqlx::Connection;
    let (dir, url) = sqlite_dir();
    let store = Store::open(&StoreOptions::new(&url)).await.expect("open");
    let bodies: Vec<String> = (0..200).map(|n| format!("{{\"n\":{n},\"pad\":\"{}\"}}", "x".repeat(2_000))).collect();
    let deliveries: Vec<(&str, i64)> = bodies.iter().map(|b| (b.as_str(), 1)).collect();
    store.journal_webhooks(&deliveries).await.expect("journal");
    let wal_pages = |name: &str| {
        let wal = dir.join(format!("{name}-wal"));
        std::fs::metadata(wal).map(|m| m.len() / 4096).unwrap_or(0)
    };
    assert!(wal_pages("inbox.webhooks.db") > 50, "the journal's log holds the deliveries");
    assert_eq!(store.checkpoint().await.expect("checkpoint"), 0, "every page of both logs copied");
    // What was copied is in the journal's file itself: read without its log, it has the deliveries.
    let copy = dir.join("copy.db");
    std::fs::copy(dir.join("inbox.webhooks.db"), &copy).expect("copy the file alone");
    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", copy.display())).await.expect("open copy");
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM webhook_events").fetch_one(&mut conn).await.expect("count");
    assert_eq!(n, 200);
    conn.close().await.expect("close");
    store.close().await;
    let _ = std::fs::remove_dir_all(&dir);
}
