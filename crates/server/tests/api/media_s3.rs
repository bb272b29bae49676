//! The server with its media in S3-compatible storage (`INBOX_MEDIA_STORE=s3`), against the real S3
//! server `scripts/ensure-s3` starts: files customers send are fetched from Meta into the bucket and
//! served back from it; files agents upload go to the bucket and from it to Meta. Nothing touches
//! the local media directory.

use crate::harness::{on_both_stores_with, TestApp};
use media::store::{MediaStore, S3Config, S3Credentials, S3MediaStore};
use reqwest::multipart::{Form, Part};
use reqwest::StatusCode;
use serde_json::{json, Value};
use server::config::{Config, MediaStoreConfig};
use simulator::demo;

on_both_stores_with!(in_s3 =>
    a_customers_image_is_fetched_into_the_bucket_and_served_back,
    an_agents_upload_goes_to_the_bucket_and_from_it_to_whatsapp,
);

/// A bucket that is not there stops the start, naming the store and the settings to check, rather
/// than failing every file later.
#[tokio::test]
async fn a_bucket_that_cannot_be_listed_stops_the_start() {
    let data_dir = tempfile_dir();
    let mut config = Config::for_data_dir(&data_dir);
    config.listen = ([127, 0, 0, 1], 0).into();
    in_s3(&mut config);
    if let MediaStoreConfig::S3(s3) = &mut config.media_store {
        s3.bucket = format!("no-such-bucket-{}", uuid::Uuid::new_v4().simple());
    }
    let failed = server::startup::Application::build(config, Default::default()).await;
    let _ = std::fs::remove_dir_all(&data_dir);
    let message = format!("{:#}", failed.err().expect("the start fails"));
    assert!(message.contains("no-such-bucket-") && message.contains("INBOX_S3_BUCKET"), "{message}");
}

fn tempfile_dir() -> std::path::PathBuf {
    std::env::temp_dir().join(format!("inbox-test-{}", uuid::Uuid::now_v7()))
}

/// Media in the test S3 server's bucket, under a prefix of this server's own.
fn in_s3(config: &mut Config) {
    let var = |name: &str| {
        std::env::var(name).ok().filter(|v| !v.is_empty()).unwrap_or_else(|| {
            panic!(
                "{name} is not set: the S3 media tests need the S3 server that scripts/ensure-s3 starts \
                 (run `eval \"$(scripts/ensure-s3)\"` first; scripts/test does it)"
            )
        })
    };
    let mut s3 = S3Config::new(var("INBOX_TEST_S3_BUCKET"), "us-east-1");
    s3.endpoint = Some(var("INBOX_TEST_S3_ENDPOINT"));
    s3.credentials = Some(S3Credentials {
        access_key_id: "inbox-test".into(),
        secret_access_key: "inbox-test-secret".to_string().into(),
    });
    s3.path_style = true;
    s3.allow_http = true;
    s3.prefix = Some(format!("server-{}", uuid::Uuid::new_v4().simple()));
    config.media_store = MediaStoreConfig::S3(s3);
}

/// The bucket as this server sees it, through a handle of the test's own.
fn bucket(app: &TestApp) -> S3MediaStore {
    match &app.state.config.media_store {
        MediaStoreConfig::S3(s3) => S3MediaStore::new(s3).expect("S3 store"),
        MediaStoreConfig::Local => panic!("this server keeps its media on disk"),
    }
}

/// The one object in the bucket, with its bytes.
async fn only_object(app: &TestApp) -> (String, bytes::Bytes) {
    let bucket = bucket(app);
    let keys = bucket.keys().await.expect("list the bucket");
    assert_eq!(keys.len(), 1, "objects: {keys:?}");
    let bytes = bucket.get(&keys[0]).await.expect("read the object");
    (keys[0].clone(), bytes)
}

async fn a_customers_image_is_fetched_into_the_bucket_and_served_back(app: TestApp) {
    let acct = app.full_account().await;
    app.connect_demo_channels(&acct.admin_token).await;
    assert_eq!(bucket(&app).keys().await.expect("list"), Vec::<String>::new());
    let png = simulator::samples::png();
    let c = app.sim.whatsapp_customer(demo::CLOUD_PHONE_NUMBER_ID, "5215512345678").expect("customer");
    c.image(png.clone(), "image/png", Some("la foto")).await.expect("sent");
    app.settle().await;
    let conv = app.only_conversation(&acct.admin_token).await;
    let conversation = conv["id"].as_str().expect("id");
    let mut attachment = Value::Null;
    for _ in 0..200 {
        attachment = app.messages(&acct.admin_token, conversation).await[0]["attachment"].clone();
        if attachment["status"] != "pending" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert_eq!(attachment["status"], "ready", "{attachment}");

    let (_, stored) = only_object(&app).await;
    assert_eq!(stored.as_ref(), png.as_slice(), "the bucket holds the file Meta served");
    let res = app.get(&acct.admin_token, attachment["url"].as_str().expect("url")).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "image/png");
    assert_eq!(res.headers()["content-length"], png.len().to_string().as_str());
    assert_eq!(res.bytes().await.expect("body").as_ref(), png.as_slice(), "served back from the bucket");
    assert!(!app.data_dir().join("media").exists(), "nothing went to the local media directory");
}

async fn an_agents_upload_goes_to_the_bucket_and_from_it_to_whatsapp(app: TestApp) {
    let acct = app.full_account().await;
    app.connect_demo_channels(&acct.admin_token).await;
    app.sim
        .whatsapp_customer(demo::CLOUD_PHONE_NUMBER_ID, "5215512345678")
        .expect("customer")
        .text("¿me mandas la foto?")
        .await
        .expect("sent");
    app.settle().await;
    let conversation = app.only_conversation(&acct.admin_token).await["id"].as_str().expect("id").to_string();

    let png = simulator::samples::png();
    let form =
        Form::new().part("file", Part::bytes(png.clone()).file_name("modelo.png").mime_str("image/png").expect("mime"));
    let res = app
        .http
        .post(app.url("/api/v1/uploads"))
        .bearer_auth(&acct.admin_token)
        .multipart(form)
        .send()
        .await
        .expect("upload");
    assert_eq!(res.status(), StatusCode::CREATED);
    let upload: Value = res.json().await.expect("json");
    let (_, stored) = only_object(&app).await;
    assert_eq!(stored.as_ref(), png.as_slice(), "the upload is in the bucket");

    let res = app
        .post(
            &acct.admin_token,
            &format!("/api/v1/conversations/{conversation}/messages"),
            json!({"type": "attachment", "upload_id": upload["id"], "caption": "Aquí está"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let message: Value = res.json().await.expect("json");
    let sends = app.wait_for_sends(1).await;
    let body = sends[0].json();
    assert_eq!(body["type"], "image", "{body}");
    // What WhatsApp received, fetched back from the simulator's Graph API: the bytes of the bucket.
    let media_id = body["image"]["id"].as_str().expect("media id");
    let client = reqwest::Client::new();
    let info: Value = client
        .get(format!("{}/{media_id}", app.sim.graph_base()))
        .bearer_auth(demo::CLOUD_TOKEN)
        .send()
        .await
        .expect("media info")
        .json()
        .await
        .expect("json");
    let received = client
        .get(info["url"].as_str().expect("url"))
        .bearer_auth(demo::CLOUD_TOKEN)
        .send()
        .await
        .expect("media download")
        .bytes()
        .await
        .expect("bytes");
    assert_eq!(received.as_ref(), png.as_slice());
    let sent = app.verdict(&acct.admin_token, &conversation, message["id"].as_str().expect("id")).await;
    assert_eq!(sent["status"], "read", "{sent}");
    assert!(!app.data_dir().join("media").exists(), "nothing went to the local media directory");
}
