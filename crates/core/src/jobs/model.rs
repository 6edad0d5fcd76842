//! Durable background jobs: their states and the rules of retrying. No I/O here.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::define_id;
use crate::error::{Error, Result};

define_id!(
    /// A background job.
    JobId, "job", "job"
);

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    /// Waiting for a worker (also between retries).
    Queued,
    /// A worker holds its lease.
    Running,
    Succeeded,
    /// Failed on its last attempt; `error` says why.
    Failed,
    Cancelled,
}

impl JobStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn parse(value: &str) -> Result<Self> {
        [
            Self::Queued,
            Self::Running,
            Self::Succeeded,
            Self::Failed,
            Self::Cancelled,
        ]
        .into_iter()
        .find(|s| s.as_str() == value)
        .ok_or_else(|| Error::invalid("status", format!("`{value}` is not a job status")))
    }

    pub fn is_finished(self) -> bool {
        matches!(self, Self::Succeeded | Self::Failed | Self::Cancelled)
    }
}

/// A file a job produced (an export, a rejected-rows file), kept in the file store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct JobFile {
    /// The name shown and used for download, e.g. `rejected-records.csv`.
    pub name: String,
    pub content_type: String,
    pub bytes: u64,
    /// Where the file lives in the file store.
    #[serde(skip_serializing)]
    pub key: String,
}

/// A job as the API and the Jobs page show it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Job {
    pub id: JobId,
    pub kind: String,
    pub status: JobStatus,
    /// A human title, e.g. "Import audience VIP codes".
    pub title: String,
    pub attempts: i32,
    pub max_attempts: i32,
    pub progress_done: i64,
    pub progress_total: Option<i64>,
    pub progress_message: Option<String>,
    pub error: Option<String>,
    pub files: Vec<JobFile>,
    pub cancel_requested: bool,
    pub created_by: Option<String>,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    /// The page of what the job made, e.g. `/audiences/aud_…` for an import (a path on this
    /// site).
    pub link: Option<String>,
}

impl Job {
    /// Progress as a whole percentage, when the total is known.
    pub fn percent(&self) -> Option<u8> {
        let total = self.progress_total.filter(|t| *t > 0)?;
        let done = self.progress_done.clamp(0, total);
        u8::try_from(done * 100 / total).ok()
    }

    /// How long it ran (or has been running).
    pub fn duration(&self, now: DateTime<Utc>) -> Option<Duration> {
        let start = self.started_at?;
        Some(self.finished_at.unwrap_or(now) - start)
    }
}

/// Waiting time before attempt `attempt + 1`: exponential from 5 s, capped at 10 min, so a
/// flapping SMTP server is retried soon but never hammered.
pub fn backoff(attempt: i32) -> Duration {
    let exponent = u32::try_from(attempt.clamp(1, 8) - 1).unwrap_or(0);
    let seconds = 5i64.saturating_mul(2i64.saturating_pow(exponent));
    Duration::seconds(seconds.min(600))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        assert_eq!(backoff(1), Duration::seconds(5));
        assert_eq!(backoff(2), Duration::seconds(10));
        assert_eq!(backoff(3), Duration::seconds(20));
        assert_eq!(backoff(50), Duration::seconds(600));
    }

    #[test]
    fn statuses_round_trip() {
        for status in [
            JobStatus::Queued,
            JobStatus::Running,
            JobStatus::Succeeded,
            JobStatus::Failed,
            JobStatus::Cancelled,
        ] {
            assert_eq!(JobStatus::parse(status.as_str()).ok(), Some(status));
        }
        assert!(JobStatus::Failed.is_finished());
        assert!(!JobStatus::Running.is_finished());
    }
}
