//! Contacts as CSV (RFC 4180, UTF-8): the export's columns and rows, and the plan of an import —
//! every row parsed, checked and matched to the contact it updates (or marked to create), with
//! every problem named by row and column — before anything is written.
//!
//! Columns: `id, first_name, last_name, email, phone_1, phone_2, phone_3, whatsapp_user_id,
//! whatsapp_username`, then one per custom field by key. `phone_1..3` are the primary, alternate and
//! WhatsApp phones. An import may carry any subset of them, in any order.
//!
//! Import rules:
//! - a row updates the contact named by `id`, else the one having one of its phones (LatAm
//!   equivalences included), else the one with its e-mail; otherwise it creates a contact. Only
//!   contacts the importer may see are matched. A row matching two contacts is an error.
//! - an empty cell leaves the value as it is (an import never clears); a cell equal to the stored
//!   value is left unchecked, so an export always imports back unchanged.
//! - two rows for the same contact are an error (the second names the first).

use crate::error::RowProblem;
use domain::contact_fields::{check_value, FieldDefinition};
use domain::ids::ContactId;
use domain::phone::PhoneE164;
use std::collections::{BTreeMap, HashMap};
use store::{ContactFields, ContactRecord, ImportWrite};

/// The fixed columns, in export order.
pub const FIXED_COLUMNS: [&str; 9] = [
    "id",
    "first_name",
    "last_name",
    "email",
    "phone_1",
    "phone_2",
    "phone_3",
    "whatsapp_user_id",
    "whatsapp_username",
];

/// Longest name, user id or username accepted.
const MAX_TEXT: usize = 200;

/// Excel opens UTF-8 files correctly only with this mark; readers strip it.
const BOM: &str = "\u{feff}";

/// The CSV file of `contacts` (with a UTF-8 byte order mark).
pub fn export(contacts: &[ContactRecord], defs: &[FieldDefinition]) -> Result<Vec<u8>, csv::Error> {
    let mut out = BOM.as_bytes().to_vec();
    {
        let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(&mut out);
        let header: Vec<&str> = FIXED_COLUMNS.iter().copied().chain(defs.iter().map(|d| d.key.as_str())).collect();
        w.write_record(&header)?;
        for c in contacts {
            let f = &c.fields;
            let id = c.id.to_string();
            let opt = |v: &Option<String>| v.clone().unwrap_or_default();
            let mut row = vec![
                id,
                opt(&f.first_name),
                opt(&f.last_name),
                opt(&f.email),
                opt(&f.phone_primary),
                opt(&f.phone_alternate),
                opt(&f.phone_whatsapp),
                opt(&f.whatsapp_user_id),
                opt(&f.whatsapp_username),
            ];
            row.extend(defs.iter().map(|d| f.custom_fields.get(&d.key).cloned().unwrap_or_default()));
            w.write_record(&row)?;
        }
        w.flush()?;
    }
    Ok(out)
}

/// What an import would do (and, committed, does).
#[derive(Debug, Default)]
pub struct ImportPlan {
    /// Data rows read (the header excluded).
    pub rows: u64,
    pub writes: Vec<ImportWrite>,
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub problems: Vec<RowProblem>,
}

#[derive(Debug, PartialEq, Eq)]
pub enum ImportRefusal {
    /// More data rows than `max_rows`.
    TooManyRows,
}

fn problem(row: u64, column: Option<&str>, code: &str, message: impl Into<String>) -> RowProblem {
    RowProblem { row, column: column.map(str::to_string), code: code.to_string(), message: message.into() }
}

/// The contacts an import may match, indexed.
pub struct Existing<'a> {
    by_id: HashMap<ContactId, &'a ContactRecord>,
    by_key: HashMap<String, Vec<ContactId>>,
    by_email: HashMap<String, Vec<ContactId>>,
}

impl<'a> Existing<'a> {
    /// `contacts`: those the importer may see; `keys`: phone match keys by contact.
    pub fn new(contacts: &'a [ContactRecord], keys: &HashMap<ContactId, Vec<String>>) -> Self {
        let mut by_key: HashMap<String, Vec<ContactId>> = HashMap::new();
        let mut by_email: HashMap<String, Vec<ContactId>> = HashMap::new();
        for c in contacts {
            for k in keys.get(&c.id).into_iter().flatten() {
                by_key.entry(k.clone()).or_default().push(c.id);
            }
            if let Some(e) = &c.fields.email {
                by_email.entry(e.to_lowercase()).or_default().push(c.id);
            }
        }
        Self { by_id: contacts.iter().map(|c| (c.id, c)).collect(), by_key, by_email }
    }
}

/// One data row's cells by column name (trimmed; empty cells left out).
type Cells = BTreeMap<String, String>;

/// Reads and checks a whole file. Header problems stop there (row 1); otherwise every row is
/// checked and every problem reported.
pub fn plan(
    data: &[u8],
    defs: &[FieldDefinition],
    existing: &Existing<'_>,
    max_rows: u64,
) -> Result<ImportPlan, ImportRefusal> {
    let data = data.strip_prefix(BOM.as_bytes()).unwrap_or(data);
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(data);
    let mut records = reader.records();
    let mut plan = ImportPlan::default();
    let header: Vec<String> = match records.next() {
        Some(Ok(h)) => h.iter().map(|c| c.trim().to_string()).collect(),
        Some(Err(e)) => {
            plan.problems.push(problem(1, None, "invalid_csv", format!("the header cannot be read: {e}")));
            return Ok(plan);
        }
        None => {
            plan.problems.push(problem(1, None, "empty_file", "the file has no header row"));
            return Ok(plan);
        }
    };
    for (i, name) in header.iter().enumerate() {
        if !FIXED_COLUMNS.contains(&name.as_str()) && !defs.iter().any(|d| &d.key == name) {
            plan.problems.push(problem(
                1,
                Some(name),
                "unknown_column",
                format!("{name:?} is neither a contact column nor a custom field of this account"),
            ));
        } else if header[..i].contains(name) {
            plan.problems.push(problem(1, Some(name), "duplicate_column", format!("{name:?} appears twice")));
        }
    }
    if !plan.problems.is_empty() {
        return Ok(plan);
    }
    // Which contact each earlier row wrote, to refuse a second row for the same one.
    let mut claimed: HashMap<ContactId, u64> = HashMap::new();
    let mut new_keys: HashMap<String, u64> = HashMap::new();
    let mut new_emails: HashMap<String, u64> = HashMap::new();
    for (index, record) in records.enumerate() {
        let row = index as u64 + 2;
        plan.rows += 1;
        if plan.rows > max_rows {
            return Err(ImportRefusal::TooManyRows);
        }
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                plan.problems.push(problem(row, None, "invalid_csv", format!("the row cannot be read: {e}")));
                continue;
            }
        };
        if record.iter().all(|c| c.trim().is_empty()) {
            plan.rows -= 1;
            continue;
        }
        if record.len() != header.len() {
            plan.problems.push(problem(
                row,
                None,
                "wrong_column_count",
                format!("{} cells where the header has {} columns", record.len(), header.len()),
            ));
            continue;
        }
        let cells: Cells = header
            .iter()
            .zip(record.iter())
            .map(|(h, c)| (h.clone(), c.trim().to_string()))
            .filter(|(_, c)| !c.is_empty())
            .collect();
        let before = plan.problems.len();
        let outcome = plan_row(row, &cells, defs, existing, &mut plan.problems);
        if plan.problems.len() > before {
            continue;
        }
        let Some((target, write)) = outcome else { continue };
        match target {
            Target::Existing(id, changed) => {
                if let Some(first) = claimed.insert(id, row) {
                    plan.problems.push(problem(
                        row,
                        None,
                        "duplicate_row",
                        format!("row {first} already imports the same contact"),
                    ));
                    continue;
                }
                if changed {
                    plan.updated += 1;
                    plan.writes.push(write);
                } else {
                    plan.unchanged += 1;
                }
            }
            Target::New => {
                let earlier = write
                    .phone_keys
                    .iter()
                    .find_map(|k| new_keys.get(k))
                    .or_else(|| write.fields.email.as_ref().and_then(|e| new_emails.get(e)));
                if let Some(first) = earlier {
                    plan.problems.push(problem(
                        row,
                        None,
                        "duplicate_row",
                        format!("row {first} already creates a contact with the same phone or e-mail"),
                    ));
                    continue;
                }
                for k in &write.phone_keys {
                    new_keys.insert(k.clone(), row);
                }
                if let Some(e) = &write.fields.email {
                    new_emails.insert(e.clone(), row);
                }
                plan.created += 1;
                plan.writes.push(write);
            }
        }
    }
    Ok(plan)
}

enum Target {
    /// An existing contact, and whether the row changes it.
    Existing(ContactId, bool),
    New,
}

const PHONE_COLUMNS: [&str; 3] = ["phone_1", "phone_2", "phone_3"];

/// Checks and matches one row; pushes its problems.
fn plan_row(
    row: u64,
    cells: &Cells,
    defs: &[FieldDefinition],
    existing: &Existing<'_>,
    problems: &mut Vec<RowProblem>,
) -> Option<(Target, ImportWrite)> {
    // The contact this row updates: named by id, else found by the row's phones or e-mail.
    let target: Option<&ContactRecord> = match cells.get("id") {
        Some(raw) => match raw.parse::<ContactId>().ok().and_then(|id| existing.by_id.get(&id)) {
            Some(c) => Some(*c),
            None => {
                problems.push(problem(row, Some("id"), "unknown_contact", format!("no contact {raw:?} to update")));
                return None;
            }
        },
        None => {
            let mut scratch = vec![];
            let alone = apply_cells(row, cells, defs, None, &mut scratch);
            if !scratch.is_empty() {
                problems.extend(scratch);
                return None;
            }
            match_existing(row, &alone, existing, problems)?
        }
    };
    let fields = apply_cells(row, cells, defs, target.map(|c| &c.fields), problems);
    let keys =
        crate::views::contact::keys_of(&[&fields.phone_primary, &fields.phone_alternate, &fields.phone_whatsapp]);
    let write = |id, fields, phone_keys| ImportWrite { id, fields, phone_keys };
    match target {
        Some(c) => {
            let changed = !same_fields(&c.fields, &fields);
            Some((Target::Existing(c.id, changed), write(Some(c.id), fields, keys)))
        }
        None => {
            if fields.first_name.is_none()
                && fields.last_name.is_none()
                && fields.email.is_none()
                && keys.is_empty()
                && fields.whatsapp_username.is_none()
            {
                problems.push(problem(
                    row,
                    None,
                    "invalid_contact",
                    "a new contact needs a name, an e-mail, a phone or a WhatsApp username",
                ));
                return None;
            }
            Some((Target::New, write(None, fields, keys)))
        }
    }
}

/// `current` (or an empty contact) with the row's non-empty cells applied; a cell equal to the
/// stored value (a phone: equivalent to it) is kept as stored without being checked again.
fn apply_cells(
    row: u64,
    cells: &Cells,
    defs: &[FieldDefinition],
    current: Option<&ContactFields>,
    problems: &mut Vec<RowProblem>,
) -> ContactFields {
    let mut fields = current.cloned().unwrap_or_default();
    let mut cell_problem = |column: &str, code: &str, message: String| {
        problems.push(problem(row, Some(column), code, message));
    };
    for column in ["first_name", "last_name", "whatsapp_user_id", "whatsapp_username"] {
        let Some(cell) = cells.get(column) else { continue };
        let value = if column == "whatsapp_username" { cell.trim_start_matches('@').to_string() } else { cell.clone() };
        if value.is_empty() || value.chars().count() > MAX_TEXT || value.chars().any(char::is_control) {
            cell_problem(column, "invalid_value", format!("{column}: 1 to {MAX_TEXT} characters of text"));
            continue;
        }
        let field = match column {
            "first_name" => &mut fields.first_name,
            "last_name" => &mut fields.last_name,
            "whatsapp_user_id" => &mut fields.whatsapp_user_id,
            _ => &mut fields.whatsapp_username,
        };
        *field = Some(value);
    }
    if let Some(cell) = cells.get("email") {
        if fields.email.as_deref() != Some(cell.as_str()) {
            match domain::email::Email::parse(cell) {
                Ok(e) => fields.email = Some(e.to_string()),
                Err(e) => cell_problem("email", "invalid_email", e.to_string()),
            }
        }
    }
    let mut phones = [fields.phone_primary.clone(), fields.phone_alternate.clone(), fields.phone_whatsapp.clone()];
    for (i, column) in PHONE_COLUMNS.iter().enumerate() {
        let Some(cell) = cells.get(*column) else { continue };
        if phones[i].as_deref().is_some_and(|p| p == cell || domain::phone::equivalent(p, cell)) {
            continue;
        }
        match PhoneE164::parse(cell, None) {
            Ok(p) => phones[i] = Some(p.as_str().to_string()),
            Err(_) => cell_problem(
                column,
                "invalid_phone",
                format!("{cell:?} is not a phone number; use the international format, e.g. +52 55 1234 5678"),
            ),
        }
    }
    [fields.phone_primary, fields.phone_alternate, fields.phone_whatsapp] = phones;
    for def in defs {
        let Some(cell) = cells.get(&def.key) else { continue };
        if fields.custom_fields.get(&def.key) == Some(cell) {
            continue;
        }
        match check_value(def, cell) {
            Ok(Some(v)) => {
                fields.custom_fields.insert(def.key.clone(), v);
            }
            Ok(None) => {}
            Err(p) => cell_problem(&def.key, p.code, p.message),
        }
    }
    fields
}

/// The contact a row without `id` updates: by phone, else by e-mail. `None` inside: create one;
/// `None` outside: the row matches several contacts (a problem pushed).
fn match_existing<'a>(
    row: u64,
    fields: &ContactFields,
    existing: &Existing<'a>,
    problems: &mut Vec<RowProblem>,
) -> Option<Option<&'a ContactRecord>> {
    let mut by_phone: Vec<ContactId> = vec![];
    let mut column = None;
    for (i, phone) in [&fields.phone_primary, &fields.phone_alternate, &fields.phone_whatsapp].into_iter().enumerate() {
        let Some(phone) = phone else { continue };
        for key in domain::phone::match_keys(phone) {
            for id in existing.by_key.get(&key).into_iter().flatten() {
                if !by_phone.contains(id) {
                    by_phone.push(*id);
                    column.get_or_insert(PHONE_COLUMNS[i]);
                }
            }
        }
    }
    let found: Vec<ContactId> = if !by_phone.is_empty() {
        by_phone
    } else if let Some(e) = &fields.email {
        column = Some("email");
        existing.by_email.get(&e.to_lowercase()).cloned().unwrap_or_default()
    } else {
        vec![]
    };
    match found.as_slice() {
        [] => Some(None),
        [one] => Some(existing.by_id.get(one).copied()),
        several => {
            problems.push(problem(
                row,
                column,
                "ambiguous_match",
                format!(
                    "the row matches {} contacts ({}); add the id column to say which",
                    several.len(),
                    several.iter().map(ContactId::to_string).collect::<Vec<_>>().join(", ")
                ),
            ));
            None
        }
    }
}

fn same_fields(a: &ContactFields, b: &ContactFields) -> bool {
    a.first_name == b.first_name
        && a.last_name == b.last_name
        && a.email == b.email
        && a.phone_primary == b.phone_primary
        && a.phone_alternate == b.phone_alternate
        && a.phone_whatsapp == b.phone_whatsapp
        && a.whatsapp_user_id == b.whatsapp_user_id
        && a.whatsapp_username == b.whatsapp_username
        && a.custom_fields == b.custom_fields
}
