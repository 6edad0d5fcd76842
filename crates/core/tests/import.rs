//! The import wizard on SQLite and PostgreSQL: a small target (codes with a quantity, in a table
//! the test creates) run as a real job on a real upload.

use bytes::Bytes;
use chrono::Utc;
use fullhouse_core::files::FileStore;
use fullhouse_core::import::{
    self, Batches, Columns, ImportMode, ImportTarget, ReadChoices, Rejection, RowCheck, Verdict,
};
use fullhouse_core::jobs::{
    self, JobContext, JobHandler, JobRegistry, JobService, JobStatus, NewJob, Worker,
};
use fullhouse_core::tabular::{FieldSpec, HeaderRows, Row};
use fullhouse_core::tenancy::service::{NewOrganization, TenancyService};
use fullhouse_core::uploads::{self, UploadId};
use fullhouse_core::{Backend, Db, Error, OrgId, Reason, Result};
use fullhouse_testkit::{both_backends, TestDb};
use sea_orm::{ActiveModelTrait, ConnectionTrait, Set, Statement};
use std::collections::HashMap;

const FIELDS: [FieldSpec; 2] = [
    FieldSpec {
        name: "code",
        aliases: &["Code", "Kode"],
        required: true,
    },
    FieldSpec {
        name: "quantity",
        aliases: &["Quantity", "Antal", "Quantité"],
        required: true,
    },
];

/// Codes with a quantity, into `import_test_rows`.
struct Codes {
    db: Db,
    org: OrgId,
    mode: ImportMode,
}

/// The writer refuses codes starting with this, as if a concurrent writer took them between the
/// check and the write.
const TAKEN: &str = "TAKEN-";

/// The second pass cannot make a value of this code (as if the file changed between passes).
const VANISHES: &str = "VANISHES";

struct CodeCheck {
    /// The row each code was first seen on (0: stored already).
    seen: HashMap<String, u64>,
}

fn quantity(raw: &str) -> std::result::Result<i64, String> {
    match raw.parse::<i64>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err("must be a whole number of 1 or more".to_string()),
    }
}

#[async_trait::async_trait]
impl RowCheck for CodeCheck {
    type Value = (String, i64);

    async fn check(&mut self, columns: &Columns, rows: &[Row]) -> Result<Vec<Verdict>> {
        Ok(rows
            .iter()
            .map(|row| {
                let mut problems = Vec::new();
                let code = columns.get(row, "code").unwrap_or_default().to_string();
                if let Err(reason) = quantity(columns.get(row, "quantity").unwrap_or_default()) {
                    problems.push(Rejection::new("quantity", reason));
                }
                match self.seen.get(&code) {
                    Some(0) => problems.push(Rejection::new(
                        "code",
                        format!("code {code} is imported already"),
                    )),
                    Some(first) => problems.push(Rejection::new(
                        "code",
                        format!("code {code} appears twice in the file (first on row {first})"),
                    )),
                    None => {
                        self.seen.insert(code, row.number);
                    }
                }
                if problems.is_empty() {
                    Ok(())
                } else {
                    Err(problems)
                }
            })
            .collect())
    }

    fn value(&self, columns: &Columns, row: &Row) -> Result<(String, i64)> {
        let code = columns.get(row, "code").unwrap_or_default().to_string();
        if code == VANISHES {
            return Err(Error::invalid("code", "is not in the file any more"));
        }
        let quantity = quantity(columns.get(row, "quantity").unwrap_or_default())
            .map_err(|r| Error::invalid("quantity", r))?;
        Ok((code, quantity))
    }
}

#[async_trait::async_trait]
impl ImportTarget for Codes {
    type Value = (String, i64);
    type Check = CodeCheck;
    type Written = ();

    fn fields(&self) -> &'static [FieldSpec] {
        &FIELDS
    }

    fn mode(&self) -> ImportMode {
        self.mode
    }

    fn batch_rows(&self) -> usize {
        2
    }

    async fn check(&self) -> Result<CodeCheck> {
        let seen = stored(&self.db, &self.org)
            .await
            .into_iter()
            .map(|(code, _)| (code, 0))
            .collect();
        Ok(CodeCheck { seen })
    }

    async fn write(&self, mut rows: Batches<'_, (String, i64)>) -> Result<()> {
        let txn = self.db.begin_write().await?;
        let backend = txn.get_database_backend();
        let sql = match self.db.backend() {
            Backend::Sqlite => {
                "INSERT INTO import_test_rows (organization_id, code, quantity) VALUES (?, ?, ?)"
            }
            Backend::Postgres => {
                "INSERT INTO import_test_rows (organization_id, code, quantity) VALUES ($1, $2, $3)"
            }
        };
        while let Some(batch) = rows.next_rows().await? {
            for (row, (code, quantity)) in batch {
                if code.starts_with(TAKEN) {
                    rows.refuse(row, Rejection::new("code", "taken by a concurrent import"));
                    continue;
                }
                txn.execute(Statement::from_sql_and_values(
                    backend,
                    sql,
                    [self.org.to_string().into(), code.into(), quantity.into()],
                ))
                .await?;
            }
        }
        txn.commit().await?;
        Ok(())
    }

    async fn finished(&self, _: &(), rows: u64) -> Result<Reason> {
        Ok(format!("imported {rows} codes").into())
    }
}

/// The stored codes, in code order.
async fn stored(db: &Db, org: &OrgId) -> Vec<(String, i64)> {
    let sql = match db.backend() {
        Backend::Sqlite => {
            "SELECT code, quantity FROM import_test_rows WHERE organization_id = ? ORDER BY code"
        }
        Backend::Postgres => {
            "SELECT code, quantity FROM import_test_rows WHERE organization_id = $1 ORDER BY code"
        }
    };
    let rows = db
        .reader()
        .query_all(Statement::from_sql_and_values(
            db.reader().get_database_backend(),
            sql,
            [org.to_string().into()],
        ))
        .await
        .expect("stored rows");
    rows.iter()
        .map(|r| {
            (
                r.try_get::<String>("", "code").expect("code"),
                r.try_get::<i64>("", "quantity").expect("quantity"),
            )
        })
        .collect()
}

/// Runs the job's payload: `{upload_id, choices, mode}`.
struct ImportCodes;

#[async_trait::async_trait]
impl JobHandler for ImportCodes {
    async fn run(&self, ctx: &JobContext) -> Result<()> {
        let upload: UploadId =
            serde_json::from_value(ctx.payload["upload_id"].clone()).map_err(Error::internal)?;
        let choices: ReadChoices =
            serde_json::from_value(ctx.payload["choices"].clone()).map_err(Error::internal)?;
        let mode: ImportMode =
            serde_json::from_value(ctx.payload["mode"].clone()).map_err(Error::internal)?;
        let target = Codes {
            db: ctx.db().clone(),
            org: ctx.org.clone(),
            mode,
        };
        import::run_job(ctx, &target, &upload, &choices).await
    }
}

struct Fixture {
    test_db: TestDb,
    org: OrgId,
    files: FileStore,
    _dir: tempfile::TempDir,
}

async fn fixture(backend: Backend) -> Option<Fixture> {
    let test_db = TestDb::new(backend, fullhouse_core::migrations::migrations()).await?;
    test_db
        .db
        .writer()
        .execute_unprepared("CREATE TABLE import_test_rows (organization_id TEXT NOT NULL, code TEXT NOT NULL, quantity BIGINT NOT NULL, PRIMARY KEY (organization_id, code))")
        .await
        .expect("test table");
    let org = TenancyService::new(test_db.db.clone())
        .create_organization(NewOrganization {
            name: "Imports".into(),
            slug: "imports".into(),
            default_language: "en".into(),
            timezone: "Europe/Copenhagen".into(),
            currency: "DKK".into(),
        })
        .await
        .expect("organization")
        .id;
    let dir = tempfile::tempdir().expect("temp dir");
    let files = FileStore::local(dir.path()).expect("file store");
    Some(Fixture {
        test_db,
        org,
        files,
        _dir: dir,
    })
}

impl Fixture {
    /// Stores `content` as an upload; returns it and its file's key.
    async fn upload(&self, content: &str) -> (UploadId, String) {
        let id = UploadId::generate();
        let key = format!("uploads/{}/{}", self.org, id);
        self.files
            .put(&key, Bytes::from(content.to_string()))
            .await
            .expect("file");
        uploads::store::uploads::ActiveModel {
            organization_id: Set(self.org.to_string()),
            id: Set(id.to_string()),
            name: Set("codes.csv".into()),
            file_key: Set(key.clone()),
            bytes: Set(i64::try_from(content.len()).expect("size")),
            created_by: Set(None),
            created_at: Set(Utc::now()),
        }
        .insert(self.test_db.db.writer())
        .await
        .expect("upload row");
        (id, key)
    }

    /// Imports `content` as a job in `mode`; returns the finished job.
    async fn import(&self, content: &str, mode: ImportMode) -> jobs::Job {
        let (upload, _) = self.upload(content).await;
        let payload = serde_json::json!({"upload_id": upload, "choices": ReadChoices::default(), "mode": mode});
        let txn = self.test_db.db.begin_write().await.expect("txn");
        let id = jobs::enqueue(
            &txn,
            &self.org,
            NewJob::new("codes.import", "Import codes", payload),
        )
        .await
        .expect("enqueue");
        txn.commit().await.expect("commit");
        let mut registry = JobRegistry::new();
        registry.register("codes.import", ImportCodes);
        let ran = Worker::new(self.test_db.db.clone(), self.files.clone(), registry)
            .run_until_idle()
            .await
            .expect("runs");
        assert_eq!(ran, 1);
        self.service().get(&self.org, &id).await.expect("job")
    }

    fn service(&self) -> JobService {
        JobService::new(self.test_db.db.clone(), self.files.clone())
    }

    /// A result file of the job, as rows of cells (the BOM dropped).
    async fn table(&self, job: &jobs::Job, name: &str) -> Vec<Vec<String>> {
        let (_, bytes) = self
            .service()
            .file(&self.org, &job.id, name)
            .await
            .expect(name);
        let text = String::from_utf8(bytes.to_vec()).expect("UTF-8");
        let text = text.trim_start_matches('\u{feff}');
        csv::ReaderBuilder::new()
            .delimiter(b';')
            .has_headers(false)
            .flexible(true)
            .from_reader(text.as_bytes())
            .records()
            .map(|r| r.expect("record").iter().map(str::to_string).collect())
            .collect()
    }

    fn has_file(job: &jobs::Job, name: &str) -> bool {
        job.files.iter().any(|f| f.name == name)
    }
}

const ONE_BAD_ROW: &str = "Code;Quantity\nA-1;2\nB-2;zero\nC-3;1\n";

both_backends! {
    setup = fixture;

    async fn all_or_nothing_writes_nothing_when_one_row_is_bad_and_lists_that_row(fx: Fixture) {
        let job = fx.import(ONE_BAD_ROW, ImportMode::AllOrNothing).await;
        assert_eq!(job.status, JobStatus::Failed);
        let error = job.error.clone().expect("error");
        assert!(error.contains("nothing was imported: 1 row of the file has errors."), "{error}");
        assert!(error.contains("row 3, Quantity `zero`: must be a whole number of 1 or more"), "{error}");
        assert!(stored(&fx.test_db.db, &fx.org).await.is_empty(), "nothing is written");
        let rejected = fx.table(&job, "rejected-rows.csv").await;
        assert_eq!(rejected, vec![
            vec!["Code", "Quantity", "Row", "Reason"],
            vec!["B-2", "zero", "3", "Quantity: must be a whole number of 1 or more"],
        ]);
        assert!(!Fixture::has_file(&job, "imported-rows.csv"));
        fx.test_db.finish().await;
    }

    async fn partial_writes_the_good_rows_and_refuses_the_bad_ones_with_danish_headers(fx: Fixture) {
        let job = fx.import("Kode;Antal\nA-1;2\nB-2;0\nC-3;1\nA-1;5\n", ImportMode::Partial).await;
        assert_eq!(job.status, JobStatus::Succeeded, "{:?}", job.error);
        assert_eq!(stored(&fx.test_db.db, &fx.org).await, vec![("A-1".to_string(), 2), ("C-3".to_string(), 1)]);
        let message = job.progress_message.clone().expect("message");
        assert_eq!(message, "imported 2 codes; 2 rows refused (see rejected-rows.csv)");
        assert_eq!((job.progress_done, job.progress_total), (2, Some(2)));
        let rejected = fx.table(&job, "rejected-rows.csv").await;
        let reasons: Vec<&str> = rejected.iter().map(|row| row.last().map(String::as_str).unwrap_or_default()).collect();
        assert_eq!(reasons, ["Reason", "Antal: must be a whole number of 1 or more", "Kode: code A-1 appears twice in the file (first on row 2)"], "the reason is the rightmost column");
        let imported = fx.table(&job, "imported-rows.csv").await;
        assert_eq!(imported, vec![vec!["Kode", "Antal"], vec!["A-1", "2"], vec!["C-3", "1"]]);
        fx.test_db.finish().await;
    }

    async fn cells_starting_a_formula_are_neutralized_in_both_result_files(fx: Fixture) {
        let job = fx.import("Kode;Antal\n=HYPERLINK(1);2\n@SUM(A1);0\n", ImportMode::Partial).await;
        assert_eq!(job.status, JobStatus::Succeeded, "{:?}", job.error);
        let imported = fx.table(&job, "imported-rows.csv").await;
        assert_eq!(imported, vec![vec!["Kode", "Antal"], vec!["'=HYPERLINK(1)", "2"]]);
        let rejected = fx.table(&job, "rejected-rows.csv").await;
        assert_eq!(rejected.get(1).and_then(|row| row.first()).map(String::as_str), Some("'@SUM(A1)"));
        fx.test_db.finish().await;
    }

    async fn rows_the_writer_refuses_join_the_rejected_file_and_leave_the_imported_one(fx: Fixture) {
        let job = fx.import("Kode;Antal\nA-1;2\nTAKEN-1;1\nB-2;0\nC-3;1\n", ImportMode::Partial).await;
        assert_eq!(job.status, JobStatus::Succeeded, "{:?}", job.error);
        assert_eq!(stored(&fx.test_db.db, &fx.org).await, vec![("A-1".to_string(), 2), ("C-3".to_string(), 1)]);
        let message = job.progress_message.clone().expect("message");
        assert_eq!(message, "imported 2 codes; 2 rows refused (see rejected-rows.csv)");
        let rejected = fx.table(&job, "rejected-rows.csv").await;
        assert_eq!(rejected, vec![
            vec!["Kode", "Antal", "Row", "Reason"],
            vec!["B-2", "0", "4", "Antal: must be a whole number of 1 or more"],
            vec!["TAKEN-1", "1", "3", "Kode: taken by a concurrent import"],
        ]);
        let imported = fx.table(&job, "imported-rows.csv").await;
        assert_eq!(imported, vec![vec!["Kode", "Antal"], vec!["A-1", "2"], vec!["C-3", "1"]]);
        fx.test_db.finish().await;
    }

    async fn a_second_pass_that_fails_after_some_batches_writes_nothing(fx: Fixture) {
        // Batches of two: two rows are handed to the writer before the failing one.
        let job = fx.import(&format!("Code;Quantity\nA-1;1\nB-2;1\nC-3;1\n{VANISHES};1\n"), ImportMode::Partial).await;
        assert_eq!(job.status, JobStatus::Failed);
        assert!(job.error.clone().unwrap_or_default().contains("is not in the file any more"), "{:?}", job.error);
        assert!(stored(&fx.test_db.db, &fx.org).await.is_empty(), "rolled back");
        fx.test_db.finish().await;
    }

    async fn a_file_with_only_bad_rows_is_refused_in_partial_mode_too(fx: Fixture) {
        let job = fx.import("Code;Quantity\nA-1;0\n", ImportMode::Partial).await;
        assert_eq!(job.status, JobStatus::Failed);
        assert!(stored(&fx.test_db.db, &fx.org).await.is_empty());
        assert_eq!(fx.table(&job, "rejected-rows.csv").await.len(), 2);
        fx.test_db.finish().await;
    }

    async fn importing_the_same_file_again_refuses_every_row_as_imported_already(fx: Fixture) {
        let file = "Code;Quantity\nA-1;2\nC-3;1\n";
        let first = fx.import(file, ImportMode::AllOrNothing).await;
        assert_eq!(first.status, JobStatus::Succeeded, "{:?}", first.error);
        assert_eq!(first.progress_message.as_deref(), Some("imported 2 codes"));
        for mode in [ImportMode::AllOrNothing, ImportMode::Partial] {
            let again = fx.import(file, mode).await;
            assert_eq!(again.status, JobStatus::Failed, "{mode:?}");
            let error = again.error.clone().expect("error");
            assert!(error.contains("row 2, Code `A-1`: code A-1 is imported already"), "{error}");
            assert!(error.contains("row 3, Code `C-3`: code C-3 is imported already"), "{error}");
            assert_eq!(fx.table(&again, "rejected-rows.csv").await.len(), 3);
        }
        assert_eq!(stored(&fx.test_db.db, &fx.org).await.len(), 2, "written once");
        fx.test_db.finish().await;
    }

    async fn a_second_preview_of_an_upload_does_not_read_its_file(fx: Fixture) {
        let (upload, key) = fx.upload("Antal;Kode;Note\n2;A-1;x\n1;B-2;y\n").await;
        let db = &fx.test_db.db;
        let first = uploads::preview(db, &fx.files, &fx.org, &upload, &ReadChoices::default(), &FIELDS).await.expect("preview");
        assert_eq!(first.headers, ["Antal", "Kode", "Note"]);
        assert_eq!(first.columns, [Some("quantity".to_string()), Some("code".to_string()), None]);
        fx.files.delete(&key).await.expect("file deleted");
        // The same choices, then another mapping: both from what the first read kept.
        let again = uploads::preview(db, &fx.files, &fx.org, &upload, &ReadChoices::default(), &FIELDS).await.expect("cached");
        assert_eq!(again, first);
        let remapped = ReadChoices { header_rows: HeaderRows::Auto, columns: Some(vec!["ignore".into(), "code".into(), "quantity".into()]) };
        let remapped = uploads::preview(db, &fx.files, &fx.org, &upload, &remapped, &FIELDS).await.expect("remapped");
        assert_eq!(remapped.columns, [None, Some("code".to_string()), Some("quantity".to_string())]);
        let values: Vec<Vec<Option<String>>> = remapped.rows.iter().map(|r| r.values.clone()).collect();
        assert_eq!(values, vec![vec![Some("A-1".to_string()), Some("x".to_string())], vec![Some("B-2".to_string()), Some("y".to_string())]]);
        // Other header rows are another read: the file is gone, so this one fails.
        let no_header = ReadChoices { header_rows: HeaderRows::Count(0), columns: None };
        assert!(uploads::preview(db, &fx.files, &fx.org, &upload, &no_header, &FIELDS).await.is_err());
        fx.test_db.finish().await;
    }

    async fn a_preview_of_another_organizations_upload_is_refused_on_upload_id(fx: Fixture) {
        let (upload, _) = fx.upload("Code;Quantity\nA-1;2\n").await;
        let db = &fx.test_db.db;
        uploads::preview(db, &fx.files, &fx.org, &upload, &ReadChoices::default(), &FIELDS).await.expect("preview");
        let other = OrgId::from_db("org_other".to_string());
        let refused = uploads::preview(db, &fx.files, &other, &upload, &ReadChoices::default(), &FIELDS).await;
        assert!(matches!(&refused, Err(Error::Validation { fields, .. }) if fields.iter().any(|f| f.field == "upload_id")), "{refused:?}");
        fx.test_db.finish().await;
    }
}
