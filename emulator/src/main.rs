//! `luma-emulator --port <p> --api-key <k> --speed <s> [--admin] [--seed <n>] [--job-ms <n>]`

use std::io::Write;

use luma_emulator::{serve, Options};

const USAGE: &str = "usage: luma-emulator [--port <p>] [--api-key <k>] [--speed <s>] [--admin] [--seed <n>] [--job-ms <n>]";

fn parse(args: &[String]) -> Result<Options, String> {
    let mut o = Options::default();
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match flag.as_str() {
            "--port" => {
                o.port = value("--port")?
                    .parse()
                    .map_err(|_| "--port must be a port number")?
            }
            "--api-key" => o.api_key = value("--api-key")?,
            "--speed" => {
                o.speed = value("--speed")?
                    .parse()
                    .ok()
                    .filter(|s: &f64| *s > 0.0)
                    .ok_or("--speed must be a positive number")?
            }
            "--seed" => {
                o.seed = value("--seed")?
                    .parse()
                    .map_err(|_| "--seed must be a number")?
            }
            "--job-ms" => {
                o.job_ms = Some(
                    value("--job-ms")?
                        .parse()
                        .map_err(|_| "--job-ms must be a number")?,
                )
            }
            "--admin" => o.admin = true,
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument {other}\n{USAGE}")),
        }
    }
    Ok(o)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let options = match parse(&args) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    match serve(options).await {
        Ok((addr, handle)) => {
            println!("listening on http://{addr}");
            let _ = std::io::stdout().flush();
            let _ = handle.await;
        }
        Err(e) => {
            eprintln!("cannot listen: {e}");
            std::process::exit(1);
        }
    }
}
