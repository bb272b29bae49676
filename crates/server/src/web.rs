//! The web UI's entry page. The full single-page app arrives with the UI work; until then this page
//! tells a visitor where they are and where the API lives.

use axum::response::Html;

const INDEX: &str = r#"<!doctype html>
<html lang="es">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Escala Inbox</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;color:#1f2937}code{background:#f3f4f6;padding:.1rem .3rem;border-radius:.2rem}</style>
</head>
<body>
<main>
<h1>Escala Inbox</h1>
<p>La bandeja omnicanal para equipos de ventas: WhatsApp, Messenger e Instagram en una sola pantalla.</p>
<p>La interfaz web está en construcción. La API ya está disponible: consulta <a href="/api/openapi.json"><code>/api/openapi.json</code></a>.</p>
</main>
</body>
</html>
"#;

pub async fn index() -> Html<&'static str> {
    Html(INDEX)
}
