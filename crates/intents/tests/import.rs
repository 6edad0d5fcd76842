//! The intents import on both backends, through core's import wizard and the real checkout: a
//! 10,000-row file with bad rows of every kind books exactly its good rows and rejects exactly
//! the bad ones with their reasons; the corrected rejected file books the rest; the original
//! again books nothing; two imports racing for the same seats book each seat once; a dry run
//! books nothing; rows grouped by customer make one intent per customer.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::time::Instant;

use axum::body::Bytes;
use fullhouse_core::files::FileStore;
use fullhouse_core::import::{Imported, Refused};
use fullhouse_core::jobs::{self, JobRegistry, JobService, JobStatus, NewJob, Worker};
use fullhouse_core::tabular::{read_csv, Table};
use fullhouse_core::uploads::{self, UploadId};
use fullhouse_core::{Backend, OrgId};
use fullhouse_intents::bench::{self, BadKind, File, Layout, Stage, HEADER};
use fullhouse_intents::import::IMPORT_JOB;
use fullhouse_intents::import::{Booked, ImportOptions};
use fullhouse_intents::jobs::ImportHandler;
use fullhouse_intents::store::{intent_row_keys, intents};
use fullhouse_testkit::{both_backends, TestDb};
use fullhouse_ticketing::store::tickets;
use sea_orm::{ActiveModelTrait, Set};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

struct Fixture {
    db: TestDb,
    stage: Stage,
    dir: PathBuf,
}

async fn fixture(backend: Backend, layout: Layout) -> Option<Fixture> {
    let db = TestDb::new(backend, bench::all_migrations()).await?;
    let stage = bench::stage(&db.db, layout, "theatre")
        .await
        .expect("stage");
    Some(Fixture {
        db,
        stage,
        dir: std::env::temp_dir(),
    })
}

async fn ten_thousand(backend: Backend) -> Option<Fixture> {
    let layout = Layout {
        seated: 6_000,
        floor: 2_960,
        limited: 1_000,
        bad: 40,
        customers: 200,
    };
    fixture(backend, layout).await
}

async fn small(backend: Backend) -> Option<Fixture> {
    let layout = Layout {
        seated: 200,
        floor: 30,
        limited: 10,
        bad: 11,
        customers: 20,
    };
    fixture(backend, layout).await
}

impl Fixture {
    async fn import(&self, csv: &str, options: ImportOptions) -> Imported<Booked> {
        self.stage
            .import(&self.dir, csv, options)
            .await
            .map_err(|r| r.error)
            .expect("imported")
    }

    /// Tickets of the stage's event.
    async fn tickets(&self) -> u64 {
        tickets::Entity::find()
            .filter(tickets::Column::OrganizationId.eq(self.org().as_str()))
            .filter(tickets::Column::EventId.eq(self.stage.event.as_str()))
            .count(self.db.db.reader())
            .await
            .expect("count")
    }

    async fn intents(&self) -> u64 {
        intents::Entity::find()
            .filter(intents::Column::OrganizationId.eq(self.org().as_str()))
            .count(self.db.db.reader())
            .await
            .expect("count")
    }

    async fn keys(&self) -> u64 {
        intent_row_keys::Entity::find()
            .filter(intent_row_keys::Column::OrganizationId.eq(self.org().as_str()))
            .count(self.db.db.reader())
            .await
            .expect("count")
    }

    fn org(&self) -> &OrgId {
        &self.stage.org
    }
}

fn taken(file: &File) -> u64 {
    file.bad.iter().filter(|b| b.kind == BadKind::Taken).count() as u64
}

fn table(csv: &[u8]) -> Table {
    read_csv(csv, true).expect("csv")
}

fn quoted(cell: &str) -> String {
    format!("\"{}\"", cell.replace('"', "\"\""))
}

/// The rightmost cell of a row (the reason of a rejected row, the outcome of an imported one).
fn last(cells: &[String]) -> &str {
    cells.last().map(String::as_str).unwrap_or_default()
}

both_backends! {
    setup = ten_thousand;

    async fn a_ten_thousand_row_file_books_its_good_rows_and_rejects_exactly_the_bad_ones(fx: Fixture) {
        let file = fx.stage.file();
        assert_eq!(file.rows, 10_000);
        let sold_before = taken(&file);
        let started = Instant::now();
        let first = fx.import(&file.csv, ImportOptions::default()).await;
        eprintln!("10,000 rows imported in {:.1} s", started.elapsed().as_secs_f64());
        assert_eq!(first.written.tickets, 9_960);
        assert_eq!(first.rejected, 40);
        assert_eq!(fx.tickets().await, 9_960 + sold_before);

        // The rejected file: exactly the 40 bad rows, as uploaded, the reason at the right.
        let rejected = table(&first.rejected_rows_csv.expect("rejected file"));
        assert_eq!(rejected.headers.last().map(String::as_str), Some("Reason"));
        assert_eq!(rejected.rows.len(), 40);
        let bad: HashMap<u64, &bench::BadRow> = file.bad.iter().map(|b| (b.row, b)).collect();
        let uploaded = table(file.csv.as_bytes());
        let row_column = rejected.headers.iter().position(|h| h == "Row").expect("Row column");
        let mut seen = HashSet::new();
        for row in &rejected.rows {
            let number: u64 = row.cells.get(row_column).and_then(|c| c.parse().ok()).expect("row number");
            let expected = bad.get(&number).unwrap_or_else(|| panic!("row {number} was not bad"));
            assert!(last(&row.cells).ends_with(&expected.reason), "row {number}: `{}`, expected `{}`", last(&row.cells), expected.reason);
            let original = uploaded.rows.iter().find(|r| r.number == number).expect("uploaded row");
            assert_eq!(row.cells.get(..original.cells.len()), Some(original.cells.as_slice()));
            seen.insert(number);
        }
        assert_eq!(seen.len(), 40);

        // The successful file: every booked row with its intent and payment link.
        let imported = table(&first.imported_rows_csv.expect("imported file"));
        assert_eq!(imported.rows.len(), 9_960);
        assert!(imported.rows.iter().all(|r| last(&r.cells) == "booked"));
        let links: HashSet<&String> = imported.rows.iter().filter_map(|r| r.cells.get(r.cells.len() - 2)).collect();
        assert_eq!(links.len(), 9_960, "one intent, one link per row");
        assert!(links.iter().all(|l| l.starts_with("http://localhost/shop/theatre/intents/fhi_")));
        assert_eq!(fx.intents().await, 9_960 + 1);

        // The rejected file, corrected in place (its Row and Reason columns left in), books the rest.
        let mut corrected = rejected.headers.join(",");
        corrected.push('\n');
        for row in &rejected.rows {
            let number: u64 = row.cells.get(row_column).and_then(|c| c.parse().ok()).unwrap_or_default();
            let mut cells = bad.get(&number).map(|b| b.corrected.cells()).unwrap_or_default();
            cells.push(number.to_string());
            cells.push(quoted(last(&row.cells)));
            corrected.push_str(&cells.join(","));
            corrected.push('\n');
        }
        let second = fx.import(&corrected, ImportOptions::default()).await;
        assert_eq!((second.written.tickets, second.rejected), (40, 0));
        assert_eq!(fx.tickets().await, 10_000 + sold_before);

        // The original again books nothing more: its good rows are already imported.
        let again = fx.import(&file.csv, ImportOptions::default()).await;
        assert_eq!(again.written.tickets, 0);
        assert_eq!(again.written.already, 9_960);
        assert_eq!(fx.tickets().await, 10_000 + sold_before);
        let outcomes = table(&again.imported_rows_csv.expect("imported file"));
        assert!(outcomes.rows.iter().all(|r| last(&r.cells) == "already imported"));
        fx.db.finish().await;
    }
}

/// A file of the stage's good seats, the `n`th for the customer `shift` places on.
fn seats_for(stage: &Stage, shift: usize) -> String {
    let mut csv = format!("{HEADER}\n");
    for n in 0..stage.layout.seated {
        csv.push_str(&stage.seated(n + shift, n).csv());
        csv.push('\n');
    }
    csv
}

/// The rows an import refused, whether it booked some or refused them all in its first pass.
fn refused_rows(outcome: &Result<Imported<Booked>, Refused>) -> (u64, Vec<String>) {
    let (booked, csv) = match outcome {
        Ok(imported) => (imported.written.tickets, imported.rejected_rows_csv.clone()),
        Err(refused) => (0, refused.rejected_rows_csv.clone()),
    };
    let reasons = csv
        .map(|csv| {
            table(&csv)
                .rows
                .iter()
                .map(|r| last(&r.cells).to_string())
                .collect()
        })
        .unwrap_or_default();
    (booked, reasons)
}

both_backends! {
    setup = small;

    async fn two_imports_racing_for_the_same_seats_book_each_seat_once(fx: Fixture) {
        let (a, b) = (seats_for(&fx.stage, 0), seats_for(&fx.stage, 7));
        let before = fx.tickets().await;
        let other_source = ImportOptions { source: Some("second list".into()), ..ImportOptions::default() };
        let (first, second) = tokio::join!(
            fx.stage.import(&fx.dir, &a, ImportOptions::default()),
            fx.stage.import(&fx.dir, &b, other_source),
        );
        let (booked_a, refused_a) = refused_rows(&first);
        let (booked_b, refused_b) = refused_rows(&second);
        let seats = fx.stage.layout.seated;
        assert_eq!(booked_a + booked_b, seats as u64, "every seat booked by one of them");
        assert_eq!(refused_a.len() + refused_b.len(), seats, "every loser refused");
        for reason in refused_a.iter().chain(&refused_b) {
            assert!(reason.ends_with("Cannot reserve seat"), "{reason}");
        }
        let seated: Vec<String> = tickets::Entity::find()
            .filter(tickets::Column::OrganizationId.eq(fx.org().as_str()))
            .filter(tickets::Column::EventId.eq(fx.stage.event.as_str()))
            .all(fx.db.db.reader())
            .await
            .expect("tickets")
            .into_iter()
            .filter_map(|t| t.seat_id)
            .collect();
        let distinct: HashSet<&String> = seated.iter().collect();
        assert_eq!(distinct.len(), seated.len(), "no seat booked twice");
        assert_eq!(fx.tickets().await - before, booked_a + booked_b);
        fx.db.finish().await;
    }

    async fn a_dry_run_reports_every_error_and_books_nothing(fx: Fixture) {
        let file = fx.stage.file();
        let before = (fx.tickets().await, fx.intents().await, fx.keys().await);
        let dry = fx.import(&file.csv, ImportOptions { dry_run: true, ..ImportOptions::default() }).await;
        assert_eq!(dry.written.tickets, fx.stage.layout.good() as u64);
        assert!(dry.written.dry_run);
        assert_eq!(dry.rejected, file.bad.len() as u64);
        let rejected = table(&dry.rejected_rows_csv.expect("rejected file"));
        let row_column = rejected.headers.iter().position(|h| h == "Row").expect("Row column");
        let expected: HashMap<String, &str> = file.bad.iter().map(|b| (b.row.to_string(), b.reason.as_str())).collect();
        assert_eq!(rejected.rows.len(), expected.len());
        for row in &rejected.rows {
            let number = row.cells.get(row_column).cloned().unwrap_or_default();
            let reason = expected.get(&number).unwrap_or_else(|| panic!("row {number} was not bad"));
            assert!(last(&row.cells).ends_with(reason), "row {number}: `{}` for `{reason}`", last(&row.cells));
        }
        let outcomes = table(&dry.imported_rows_csv.expect("imported file"));
        assert!(outcomes.rows.iter().all(|r| last(&r.cells) == "would be booked"));
        assert_eq!((fx.tickets().await, fx.intents().await, fx.keys().await), before);
        // The real run books what the dry run said.
        let real = fx.import(&file.csv, ImportOptions::default()).await;
        assert_eq!(real.written.tickets, dry.written.tickets);
        fx.db.finish().await;
    }

    async fn rows_grouped_by_customer_make_one_intent_each_and_new_emails_become_customers(fx: Fixture) {
        let stage = &fx.stage;
        let line = |email: &str, seat: usize| {
            format!("{email},Ada,Lovelace,{},{},{},Parterre,A,1,{seat}", stage.event, stage.shop, stage.seat_type)
        };
        let mut csv = "Courriel,Prénom,Nom,Événement,Boutique,Type de billet,Section,Groupe,Rang,Siège\n".to_string();
        for (email, seat) in [("ada@example.fr", 1), ("bob@example.fr", 2), ("ada@example.fr", 3), ("ADA@example.fr", 4)] {
            csv.push_str(&line(email, seat));
            csv.push('\n');
        }
        let before = fx.intents().await;
        let grouped = ImportOptions { group_by_customer: true, ..ImportOptions::default() };
        let imported = fx.import(&csv, grouped.clone()).await;
        assert_eq!((imported.written.tickets, imported.written.intents, imported.rejected), (4, 2, 0));
        assert_eq!(fx.intents().await - before, 2);
        let outcomes = table(&imported.imported_rows_csv.expect("imported file"));
        let intent_of = |n: usize| outcomes.rows.get(n).and_then(|r| r.cells.get(r.cells.len() - 3)).cloned();
        assert_eq!(intent_of(0), intent_of(2));
        assert_eq!(intent_of(0), intent_of(3));
        assert_ne!(intent_of(0), intent_of(1));
        let again = fx.import(&csv, grouped).await;
        assert_eq!((again.written.tickets, again.written.already), (0, 4));
        fx.db.finish().await;
    }
}

both_backends! {
    setup = small;

    async fn the_import_job_attaches_the_successful_and_the_rejected_records(fx: Fixture) {
        let file = fx.stage.file();
        let dir = fx.dir.join(format!("intents-files-{}", UploadId::generate()));
        let files = FileStore::local(&dir).expect("file store");
        let upload = UploadId::generate();
        let key = format!("uploads/{}/{}", fx.org(), upload);
        files.put(&key, Bytes::from(file.csv.clone())).await.expect("file");
        uploads::store::uploads::ActiveModel {
            organization_id: Set(fx.org().to_string()),
            id: Set(upload.to_string()),
            name: Set("abonnes.csv".into()),
            file_key: Set(key),
            bytes: Set(i64::try_from(file.csv.len()).expect("size")),
            created_by: Set(None),
            created_at: Set(chrono::Utc::now()),
        }
        .insert(fx.db.db.writer())
        .await
        .expect("upload");
        let payload = serde_json::json!({"upload_id": upload, "options": {"strategy": "invoice"}, "actor": "box@example.fr"});
        let txn = fx.db.db.begin_write().await.expect("txn");
        let id = jobs::enqueue(&txn, fx.org(), NewJob::new(IMPORT_JOB, "Import intents", payload)).await.expect("enqueue");
        txn.commit().await.expect("commit");
        let mut registry = JobRegistry::new();
        registry.register(IMPORT_JOB, ImportHandler::new(fx.stage.intents.clone()));
        let ran = Worker::new(fx.db.db.clone(), files.clone(), registry).run_until_idle().await.expect("runs");
        assert_eq!(ran, 1);
        let service = JobService::new(fx.db.db.clone(), files.clone());
        let job = service.get(fx.org(), &id).await.expect("job");
        assert_eq!(job.status, JobStatus::Succeeded, "{:?}", job.error);
        let good = fx.stage.layout.good();
        assert_eq!(
            job.progress_message.as_deref(),
            Some(format!("booked {good} tickets in {good} intents; 11 rows refused (see rejected-rows.csv)").as_str())
        );
        let (_, imported) = service.file(fx.org(), &id, "imported-rows.csv").await.expect("successful records");
        let imported = table(&imported);
        assert_eq!(imported.headers.get(9..), Some(["intentId", "paymentLink", "outcome"].map(String::from).as_slice()));
        assert_eq!(imported.rows.len(), good);
        let (_, rejected) = service.file(fx.org(), &id, "rejected-rows.csv").await.expect("rejected records");
        assert_eq!(table(&rejected).rows.len(), 11);
        let invoiced = intents::Entity::find()
            .filter(intents::Column::OrganizationId.eq(fx.org().as_str()))
            .filter(intents::Column::ImportId.eq(id.as_str()))
            .all(fx.db.db.reader())
            .await
            .expect("intents");
        assert_eq!(invoiced.len(), good);
        assert!(invoiced.iter().all(|i| i.strategy == "invoice" && i.created_by == "box@example.fr"));
        let _ = std::fs::remove_dir_all(&dir);
        fx.db.finish().await;
    }
}
