//! Templates render in child processes with an OS-enforced memory and CPU budget.
//!
//! Organizers write templates, and minijinja bounds their time (fuel) but not their memory:
//! `{% set a = "x" * 100000000 %}{% set b = a ~ a %}…` doubles a string per instruction, so a
//! few dozen instructions ask for gigabytes. No check inside the process can stop that (string
//! concatenation, `+` and namespaces in loops all grow without asking anyone), and a global
//! allocator cannot fail an allocation without aborting the whole process. So every render runs
//! in a `fullhouse template-sandbox` child whose address space is capped with `RLIMIT_AS` and
//! whose CPU time is capped with `RLIMIT_CPU`: a template that breaks the budget kills only its
//! child, the caller gets a validation error, and the next render gets a fresh child.
//!
//! The children speak JSON lines over stdin/stdout: a hello line first, then one answer per
//! request. A request carries one template and any number of variable sets, so bulk sends pay
//! the round trip once per batch, not per message.
//!
//! The pool is one per process (the budget is about this machine, not about one server), and
//! the exchanges run on blocking threads with std pipes rather than on `tokio::process`: pipes
//! registered with one tokio runtime break when that runtime ends, and a process-wide pool
//! outlives runtimes (each test has its own).

use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::Semaphore;

use super::model::{MailTemplate, Rendered};
use super::templates;
use crate::error::{Error, Result};

/// The hidden subcommand of the `fullhouse` binary that serves renders.
pub const SUBCOMMAND: &str = "template-sandbox";
/// The address space a sandbox child may use.
pub const MEMORY_LIMIT_BYTES: u64 = 512 * 1024 * 1024;
/// The wall-clock time one render may take (a batch gets [`PER_MESSAGE`] more per message).
pub const RENDER_TIMEOUT: Duration = Duration::from_secs(2);
/// Extra time a batch gets per message.
const PER_MESSAGE: Duration = Duration::from_millis(20);
/// The largest source of one part (subject, HTML, text) of a template.
pub const MAX_SOURCE_BYTES: usize = 256 * 1024;
/// The largest rendered part of one message.
pub const MAX_OUTPUT_BYTES: usize = 1024 * 1024;
/// Children (and so renders at once) per process: a render is CPU-bound, so more than the
/// cores of a small server would only make every render slower.
const CHILDREN: usize = 2;
/// How long a render waits for a free child before the caller is told to try again.
const QUEUE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a new child may take to say hello.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(10);
/// The first line a child writes: proves the executable is a sandbox and not something else.
const HELLO: &str = r#"{"sandbox":"fullhouse-templates","version":1}"#;

/// What the caller sees when a template breaks the budget.
pub const TOO_EXPENSIVE: &str =
    "the template needs more than 512 MB of memory or 2 s to render; simplify it";

/// Where the sandbox executable is and how many children it may run.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// A `fullhouse` binary (it must answer the hidden `template-sandbox` subcommand).
    pub executable: PathBuf,
}

impl SandboxConfig {
    /// This process's own executable: right for the `fullhouse` binary, wrong for a test
    /// binary (tests configure `CARGO_BIN_EXE_fullhouse`). On Linux `/proc/self/exe`, which
    /// still starts the running binary after an upgrade replaced the file on disk.
    pub fn current_exe() -> Self {
        let proc_self = PathBuf::from("/proc/self/exe");
        let executable = if cfg!(target_os = "linux") && proc_self.exists() {
            proc_self
        } else {
            std::env::current_exe().unwrap_or_else(|_| PathBuf::from("fullhouse"))
        };
        Self { executable }
    }
}

static GLOBAL: OnceLock<TemplateRenderer> = OnceLock::new();

/// Sets the process-wide renderer's executable. The first configuration wins (one pool per
/// process); returns false when the renderer was already set up with another executable.
pub fn configure(config: SandboxConfig) -> bool {
    let executable = config.executable.clone();
    let renderer = GLOBAL.get_or_init(|| TemplateRenderer::new(config));
    renderer.inner.config.executable == executable
}

/// The process-wide renderer (this executable's sandbox unless [`configure`]d first).
pub fn renderer() -> &'static TemplateRenderer {
    GLOBAL.get_or_init(|| TemplateRenderer::new(SandboxConfig::current_exe()))
}

/// One template and the variable sets to render it with.
#[derive(Debug, Serialize, Deserialize)]
struct Request {
    subject: String,
    html: String,
    text: String,
    variables: Vec<Value>,
}

/// A render problem the template's author can fix: the part and what is wrong with it.
#[derive(Debug, Serialize, Deserialize)]
struct Problem {
    field: String,
    reason: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct Answer {
    results: Vec<std::result::Result<Rendered, Problem>>,
}

/// Renders templates in sandbox children; cheap to clone.
#[derive(Clone)]
pub struct TemplateRenderer {
    inner: Arc<Inner>,
}

struct Inner {
    config: SandboxConfig,
    permits: Semaphore,
    idle: Mutex<Vec<Slot>>,
}

/// Why an exchange with a child did not give an answer.
enum Failure {
    /// The child died or broke the protocol (killed by the memory or CPU limit, or from
    /// outside).
    Died(String),
    /// The child did not answer in time and was killed.
    TimedOut,
}

impl TemplateRenderer {
    pub fn new(config: SandboxConfig) -> Self {
        Self {
            inner: Arc::new(Inner {
                config,
                permits: Semaphore::new(CHILDREN),
                idle: Mutex::new(Vec::new()),
            }),
        }
    }

    /// Renders `template` with `variables`; errors name the part (subject, html, text) and the
    /// line, or say the template is too expensive.
    pub async fn render(&self, template: &MailTemplate, variables: &Value) -> Result<Rendered> {
        let mut results = self.render_many(template, vec![variables.clone()]).await?;
        results
            .pop()
            .unwrap_or_else(|| Err(Error::internal("the template sandbox answered nothing")))
    }

    /// Renders `template` once per variable set, in one exchange with one child. The outer
    /// error is for the whole batch (the template is too expensive, or too large); the inner
    /// ones are per message.
    pub async fn render_many(
        &self,
        template: &MailTemplate,
        variables: Vec<Value>,
    ) -> Result<Vec<Result<Rendered>>> {
        check_sizes(template)?;
        let count = variables.len();
        if count == 0 {
            return Ok(Vec::new());
        }
        let request = Request {
            subject: template.subject.clone(),
            html: template.html.clone(),
            text: template.text.clone(),
            variables,
        };
        let mut line = serde_json::to_vec(&request).map_err(Error::internal)?;
        line.push(b'\n');
        let timeout = RENDER_TIMEOUT + PER_MESSAGE * u32::try_from(count).unwrap_or(u32::MAX);
        // Three parts per message, each at most MAX_OUTPUT_BYTES (a little more once escaped as
        // JSON), and room for the error texts.
        let answer_limit = u64::try_from(count)
            .unwrap_or(u64::MAX)
            .saturating_mul(3 * 2 * MAX_OUTPUT_BYTES as u64)
            .saturating_add(64 * 1024);
        let _permit = tokio::time::timeout(QUEUE_TIMEOUT, self.inner.permits.acquire())
            .await
            .map_err(|_| Error::RateLimited)?
            .map_err(Error::internal)?;
        let line = Arc::new(line);
        let mut answer = None;
        // A child that sat idle may have died since (killed from outside, or the machine's OOM
        // killer): a failure on a reused child is tried once more on a fresh one, so only the
        // template's own failures reach the caller.
        for _ in 0..2 {
            let (slot, reused) = match self.take_idle() {
                Some(slot) => (slot, true),
                None => (self.spawn().await?, false),
            };
            match self
                .exchange(slot, line.clone(), answer_limit, timeout)
                .await
            {
                Ok(found) => {
                    answer = Some(found);
                    break;
                }
                Err(Failure::Died(detail)) if reused => {
                    tracing::info!(%detail, "a reused template sandbox was gone; trying a fresh one");
                }
                Err(Failure::Died(detail)) => {
                    tracing::warn!(%detail, "a template sandbox died while rendering");
                    return Err(Error::invalid_because(
                        "template",
                        crate::Problem::TooExpensive,
                        TOO_EXPENSIVE,
                    ));
                }
                Err(Failure::TimedOut) => {
                    tracing::warn!(
                        ?timeout,
                        "a template render timed out; its sandbox was killed"
                    );
                    return Err(Error::invalid_because(
                        "template",
                        crate::Problem::TooExpensive,
                        TOO_EXPENSIVE,
                    ));
                }
            }
        }
        let Some(answer) = answer else {
            return Err(Error::invalid_because(
                "template",
                crate::Problem::TooExpensive,
                TOO_EXPENSIVE,
            ));
        };
        if answer.results.len() != count {
            return Err(Error::internal(format!(
                "the template sandbox answered {} results for {count} messages",
                answer.results.len()
            )));
        }
        Ok(answer
            .results
            .into_iter()
            .map(|r| r.map_err(|p| Error::invalid(p.field, p.reason)))
            .collect())
    }

    /// Checks that `template` compiles and renders `sample` within the budget.
    pub async fn validate(&self, template: &MailTemplate, sample: &Value) -> Result<()> {
        self.render(template, sample).await.map(|_| ())
    }

    /// The process ids of the idle children (for tests that kill one).
    pub fn child_pids(&self) -> Vec<u32> {
        self.inner
            .idle
            .lock()
            .map(|idle| idle.iter().map(|s| s.pid).collect())
            .unwrap_or_default()
    }

    fn take_idle(&self) -> Option<Slot> {
        self.inner.idle.lock().ok()?.pop()
    }

    fn give_back(&self, slot: Slot) {
        if let Ok(mut idle) = self.inner.idle.lock() {
            if idle.len() < CHILDREN {
                idle.push(slot);
            }
        }
    }

    /// Starts a child and waits for its hello line.
    async fn spawn(&self) -> Result<Slot> {
        let executable = &self.inner.config.executable;
        let mut child = Command::new(executable)
            .arg(SUBCOMMAND)
            .env_clear()
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| {
                Error::internal(format!(
                    "starting the template sandbox {}: {e}",
                    executable.display()
                ))
            })?;
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            return Err(Error::internal("the template sandbox has no pipes"));
        };
        let mut slot = Slot {
            pid: child.id(),
            child: Arc::new(Mutex::new(child)),
            stdin,
            stdout: BufReader::new(stdout),
        };
        let child = slot.child.clone();
        let greeting = tokio::task::spawn_blocking(move || {
            let hello = slot.read_line(4096);
            (slot, hello)
        });
        let not_started = |detail: String| {
            Error::internal(format!(
                "the template sandbox {} did not start: {detail}",
                executable.display()
            ))
        };
        match tokio::time::timeout(STARTUP_TIMEOUT, greeting).await {
            Ok(Ok((slot, Ok(hello)))) if hello.trim_ascii() == HELLO.as_bytes() => Ok(slot),
            Ok(Ok((_, Ok(hello)))) => Err(not_started(format!(
                "it is not a fullhouse template sandbox (it said {:?})",
                String::from_utf8_lossy(&hello)
            ))),
            Ok(Ok((_, Err(detail)))) => Err(not_started(detail)),
            Ok(Err(join)) => Err(not_started(join.to_string())),
            Err(_) => {
                if let Ok(mut child) = child.lock() {
                    let _ = child.kill();
                }
                Err(not_started(format!("no hello within {STARTUP_TIMEOUT:?}")))
            }
        }
    }

    /// Sends one request and waits for its answer on a blocking thread; kills the child when
    /// the time is up. A slot comes back to the pool only after a complete answer.
    async fn exchange(
        &self,
        mut slot: Slot,
        line: Arc<Vec<u8>>,
        limit: u64,
        timeout: Duration,
    ) -> std::result::Result<Answer, Failure> {
        let child = slot.child.clone();
        let task = tokio::task::spawn_blocking(move || {
            let answer = slot.exchange(&line, limit);
            (slot, answer)
        });
        match tokio::time::timeout(timeout, task).await {
            Ok(Ok((slot, Ok(answer)))) => {
                self.give_back(slot);
                Ok(answer)
            }
            // The slot is dropped on the blocking thread, which kills and reaps the child.
            Ok(Ok((_, Err(failure)))) => Err(failure),
            Ok(Err(join)) => Err(Failure::Died(format!("the exchange panicked: {join}"))),
            Err(_) => {
                // Killing unblocks the blocking thread (its read sees the end of the pipe); it
                // then drops the slot and reaps the child. The child is not reaped before, so
                // its pid cannot have been reused.
                if let Ok(mut child) = child.lock() {
                    let _ = child.kill();
                }
                Err(Failure::TimedOut)
            }
        }
    }
}

/// One child and its pipes.
struct Slot {
    pid: u32,
    child: Arc<Mutex<Child>>,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Slot {
    fn exchange(&mut self, line: &[u8], limit: u64) -> std::result::Result<Answer, Failure> {
        self.stdin
            .write_all(line)
            .and_then(|()| self.stdin.flush())
            .map_err(|e| Failure::Died(format!("writing the request: {e}")))?;
        let answer = self.read_line(limit).map_err(Failure::Died)?;
        serde_json::from_slice(&answer)
            .map_err(|e| Failure::Died(format!("reading the answer: {e}")))
    }

    fn read_line(&mut self, limit: u64) -> std::result::Result<Vec<u8>, String> {
        let mut buffer = Vec::new();
        let read = (&mut self.stdout)
            .take(limit)
            .read_until(b'\n', &mut buffer)
            .map_err(|e| format!("reading from the sandbox: {e}"))?;
        if read == 0 {
            return Err(self.exit_status());
        }
        if buffer.last() != Some(&b'\n') {
            return Err(format!("the sandbox answered more than {limit} bytes"));
        }
        Ok(buffer)
    }

    fn exit_status(&self) -> String {
        match self.child.lock().map(|mut c| c.wait()) {
            Ok(Ok(status)) => format!("the sandbox ended: {status}"),
            _ => "the sandbox ended".to_string(),
        }
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        if let Ok(mut child) = self.child.lock() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The size limits, checked before a template is sent anywhere.
pub fn check_sizes(template: &MailTemplate) -> Result<()> {
    for (part, source) in [
        ("subject", &template.subject),
        ("html", &template.html),
        ("text", &template.text),
    ] {
        if source.len() > MAX_SOURCE_BYTES {
            return Err(Error::invalid(
                part,
                format!(
                    "is {} KB; a template part may have at most {} KB",
                    source.len().div_ceil(1024),
                    MAX_SOURCE_BYTES / 1024
                ),
            ));
        }
    }
    Ok(())
}

/// The child's side: caps its own memory, then answers requests from stdin until it closes.
/// Called by `fullhouse template-sandbox` before anything else (no runtime, no logging to
/// stdout: stdout is the protocol).
pub fn serve() -> std::io::Result<()> {
    limits::cap_memory(MEMORY_LIMIT_BYTES)?;
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let stdout = std::io::stdout();
    let mut output = stdout.lock();
    output.write_all(HELLO.as_bytes())?;
    output.write_all(b"\n")?;
    output.flush()?;
    let mut line = String::new();
    loop {
        line.clear();
        if input.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let answer = match serde_json::from_str::<Request>(&line) {
            Ok(request) => {
                let budget = RENDER_TIMEOUT
                    + PER_MESSAGE * u32::try_from(request.variables.len()).unwrap_or(u32::MAX);
                limits::cap_cpu_for_next(budget)?;
                answer(request)
            }
            Err(err) => Answer {
                results: vec![Err(Problem {
                    field: "request".into(),
                    reason: format!("the sandbox could not read the request: {err}"),
                })],
            },
        };
        serde_json::to_writer(&mut output, &answer)?;
        output.write_all(b"\n")?;
        output.flush()?;
    }
}

fn answer(request: Request) -> Answer {
    let template = MailTemplate {
        key: String::new(),
        language: String::new(),
        subject: request.subject,
        html: request.html,
        text: request.text,
        built_in: false,
    };
    let results = request
        .variables
        .iter()
        .map(|variables| {
            let rendered = templates::render(&template, variables).map_err(|err| match err {
                Error::Validation {
                    mut fields,
                    message,
                } => match fields.pop() {
                    Some(field) => Problem {
                        field: field.field,
                        reason: field.reason,
                    },
                    None => Problem {
                        field: "template".into(),
                        reason: message,
                    },
                },
                other => Problem {
                    field: "template".into(),
                    reason: other.to_string(),
                },
            })?;
            for (part, value) in [
                ("subject", &rendered.subject),
                ("html", &rendered.html),
                ("text", &rendered.text),
            ] {
                if value.len() > MAX_OUTPUT_BYTES {
                    return Err(Problem {
                        field: part.into(),
                        reason: format!(
                            "renders to more than {} MB; a message part may have at most that",
                            MAX_OUTPUT_BYTES / (1024 * 1024)
                        ),
                    });
                }
            }
            Ok(rendered)
        })
        .collect();
    Answer { results }
}

#[cfg(unix)]
mod limits {
    use std::time::Duration;

    /// Caps the address space: an allocation beyond it fails, and Rust aborts the process.
    pub fn cap_memory(bytes: u64) -> std::io::Result<()> {
        let limit = libc::rlimit {
            rlim_cur: bytes as libc::rlim_t,
            rlim_max: bytes as libc::rlim_t,
        };
        // SAFETY: setrlimit reads the struct we pass and changes only this process's limits.
        if unsafe { libc::setrlimit(libc::RLIMIT_AS, &limit) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(())
    }

    /// Lets the process use `budget` more CPU time from now (rounded up to whole seconds, one
    /// more for slack); beyond it the kernel sends SIGXCPU, which ends the process. The hard
    /// limit stays, so the soft one can be raised again for the next request.
    pub fn cap_cpu_for_next(budget: Duration) -> std::io::Result<()> {
        // SAFETY: getrusage fills the zeroed struct we own.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
        let used = u64::try_from(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec).unwrap_or(0);
        let mut current = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit fills the struct we own.
        if unsafe { libc::getrlimit(libc::RLIMIT_CPU, &mut current) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
        let wanted = used + budget.as_secs() + 2;
        let limit = libc::rlimit {
            rlim_cur: (wanted as libc::rlim_t).min(current.rlim_max),
            rlim_max: current.rlim_max,
        };
        // SAFETY: as above.
        if unsafe { libc::setrlimit(libc::RLIMIT_CPU, &limit) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(())
    }
}

#[cfg(not(unix))]
mod limits {
    use std::time::Duration;

    pub fn cap_memory(_bytes: u64) -> std::io::Result<()> {
        Err(std::io::Error::other(
            "the template sandbox needs resource limits (Unix only)",
        ))
    }

    pub fn cap_cpu_for_next(_budget: Duration) -> std::io::Result<()> {
        Ok(())
    }
}
