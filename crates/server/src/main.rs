use clap::Parser;
use tracing_subscriber::EnvFilter;

/// mimalloc rather than the system allocator: a checkout allocates thousands of small,
/// short-lived values per group of orders (rows, parameters, strings), and glibc's malloc spent
/// about a third of the process's CPU on them under `fullhouse bench redeem` (perf), with
/// fragmentation work (`malloc_consolidate`, `unlink_chunk`) that mimalloc's per-thread free
/// lists avoid.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> anyhow::Result<()> {
    let cli = fullhouse_server::cli::Cli::parse();
    if let fullhouse_server::cli::Command::TemplateSandbox = cli.command {
        // Before the runtime and the log: the child's stdout is its protocol, and its memory cap
        // is better spent on templates than on idle runtime threads.
        return Ok(fullhouse_core::mail::sandbox::serve()?);
    }
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_env("FULLHOUSE_LOG")
                .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn,tower_http=info")),
        )
        .init();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(fullhouse_server::cli::run(cli))
}
