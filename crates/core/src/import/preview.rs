//! The preview of an upload, read from the stored file once per upload and header choice.
//!
//! **Why an in-process cache, not a column on the upload's row.** The wizard's htmx changes
//! (a column's field, the header rows) come from one person within minutes, and each used to
//! download the whole upload (up to 200 MB) from the file store and read it again. What a
//! preview needs is small — the detection, the layout and the first rows — and cheap to rebuild,
//! so a miss (another server process, a restart) costs one read and nothing else: it is a cache,
//! not state, and need not be durable or shared. Keeping it in memory also keeps the rows (which
//! hold customers' e-mails and names) out of a second durable copy in the database that would
//! need its own sweep, and needs no schema change on both backends. It is bounded
//! ([`CAPACITY`] entries, least recently used out first); an upload's file never changes, and a
//! forgotten upload is refused before the cache is asked (its row is looked up first).
//!
//! The entry is keyed by organization, upload and header rows — the choices that decide what is
//! read. The column mapping is applied to the cached rows, so re-mapping a column never reads the
//! file.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use super::job::open;
use super::{run_blocking, ReadChoices};
use crate::files::FileStore;
use crate::ids::OrgId;
use crate::tabular::{shown_cell, ColumnMap, FieldSpec, HeaderRows, Preview, Row, PREVIEW_ROWS};
use crate::uploads::{self, UploadId};
use crate::{Db, Error, Result};

/// How many previews are kept.
pub const CAPACITY: usize = 64;

/// What one read of an upload gives a preview.
struct Head {
    /// Built with the automatic mapping.
    preview: Preview,
    /// The previewed rows in full, to apply another mapping to.
    rows: Vec<Row>,
}

#[derive(Clone, PartialEq, Eq)]
struct Key {
    org: String,
    upload: String,
    header_rows: HeaderRows,
}

static CACHE: Mutex<VecDeque<(Key, Arc<Head>)>> = Mutex::new(VecDeque::new());

fn cached(key: &Key) -> Option<Arc<Head>> {
    let mut cache = CACHE.lock().ok()?;
    let at = cache.iter().position(|(k, _)| k == key)?;
    let entry = cache.remove(at)?;
    let head = entry.1.clone();
    cache.push_front(entry);
    Some(head)
}

fn remember(key: Key, head: Arc<Head>) {
    if let Ok(mut cache) = CACHE.lock() {
        cache.retain(|(k, _)| *k != key);
        cache.push_front((key, head));
        cache.truncate(CAPACITY);
    }
}

/// The preview of an upload of `org` as an import of `fields` would read it with `choices`:
/// detected format, encoding and separator, header rows, the column mapping (automatic unless
/// `choices.columns` is given) and the first rows. The stored file is read on the first call for
/// an upload and header choice only; the pages call this on every change of the mapping form.
pub async fn preview(
    db: &Db,
    files: &FileStore,
    org: &OrgId,
    upload: &UploadId,
    choices: &ReadChoices,
    fields: &'static [FieldSpec],
) -> Result<Preview> {
    let (_, file_key) = uploads::referenced(db, org, upload).await?;
    // A mapping the fields refuse is refused before anything is read.
    let chosen = match &choices.columns {
        Some(columns) => Some(ColumnMap::from_choices(columns, fields)?),
        None => None,
    };
    let key = Key {
        org: org.to_string(),
        upload: upload.to_string(),
        header_rows: choices.header_rows,
    };
    let head = match cached(&key) {
        Some(head) => head,
        None => {
            let file = files.download_to_temp(&file_key).await?;
            let path = file.path().to_path_buf();
            let header_rows = choices.header_rows;
            let head = run_blocking(move || read_head(&path, header_rows, fields)).await?;
            drop(file);
            let head = Arc::new(head);
            remember(key, head.clone());
            head
        }
    };
    Ok(match chosen {
        None => head.preview.clone(),
        Some(map) => remapped(&head, &map, fields),
    })
}

/// The preview of a file on disk, read now (no cache): for callers that hold the file already.
pub async fn preview_file(
    path: PathBuf,
    choices: ReadChoices,
    fields: &'static [FieldSpec],
) -> Result<Preview> {
    run_blocking(move || {
        let (mut reader, columns) = open(&path, &choices, fields)?;
        let mut preview = Preview::build(&mut reader, &columns.layout, &columns.map, fields)?;
        preview.count_rest(&mut reader);
        Ok(preview)
    })
    .await
}

fn read_head(path: &Path, header_rows: HeaderRows, fields: &[FieldSpec]) -> Result<Head> {
    let choices = ReadChoices {
        header_rows,
        columns: None,
    };
    let (mut reader, columns) = open(path, &choices, fields)?;
    let rows = reader.peek(PREVIEW_ROWS);
    let mut preview = Preview::build(&mut reader, &columns.layout, &columns.map, fields)?;
    if rows.len() != preview.rows.len() {
        return Err(Error::internal(
            "a preview's rows differ from the rows read ahead",
        ));
    }
    // The rest of the file is counted once here, so the page can say what the import will do
    // under any mapping without reading the file again.
    preview.count_rest(&mut reader);
    Ok(Head { preview, rows })
}

/// The cached preview with another mapping: the columns' fields and each row's values, computed
/// as [`Preview::build`] computes them.
fn remapped(head: &Head, map: &ColumnMap, fields: &[FieldSpec]) -> Preview {
    let mut preview = head.preview.clone();
    preview.columns = map
        .choices(preview.headers.len())
        .into_iter()
        .map(|f| f.map(str::to_string))
        .collect();
    for (shown, row) in preview.rows.iter_mut().zip(&head.rows) {
        shown.values = fields
            .iter()
            .map(|f| map.get(row, f.name).map(shown_cell))
            .collect();
    }
    preview
}
