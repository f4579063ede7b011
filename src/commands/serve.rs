//! `scim-harness serve`: the reference server for curl, a browser, or the harness itself.

use std::io::Write;
use std::time::Duration;

use anyhow::Context;

use super::{emit, runtime};
use crate::cli::ServeArgs;
use crate::exit;
use crate::server::{self, Quirk, ServerConfig};

pub fn serve(args: ServeArgs) -> anyhow::Result<u8> {
    if args.list_quirks {
        let text: String = Quirk::all()
            .iter()
            .map(|q| format!("{:<28} {}\n", q.name(), q.description()))
            .collect();
        emit(&text)?;
        return Ok(exit::SUCCESS);
    }
    let generated = args.token.is_none();
    let token = args
        .token
        .clone()
        .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string());
    let config = ServerConfig {
        host: args.host,
        port: args.port,
        token: Some(token.clone()),
        base_path: args.base_path.clone(),
        profile: args.profile,
        quirks: args.quirks.clone(),
        latency: Duration::from_millis(args.latency),
    };
    runtime()?.block_on(async move {
        let server = server::start(config)
            .await
            .with_context(|| format!("could not listen on {}:{}", args.host, args.port))?;
        let mut banner = format!("SCIM reference server listening at {}\n", server.base_url());
        if generated {
            banner.push_str(&format!("bearer token: {token}\n"));
        } else {
            banner.push_str("bearer token: the one given with --token / SCIM_TOKEN\n");
        }
        if !args.quirks.is_empty() {
            let names: Vec<&str> = args.quirks.iter().map(|q| q.name()).collect();
            banner.push_str(&format!("quirks: {}\n", names.join(", ")));
        }
        if args.latency > 0 {
            banner.push_str(&format!(
                "latency: {} ms before every answer\n",
                args.latency
            ));
        }
        banner.push_str("Press Ctrl-C to stop.\n");
        // The server keeps serving when whoever started it stops reading its output.
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(banner.as_bytes()).and_then(|()| out.flush());
        drop(out);
        tokio::signal::ctrl_c()
            .await
            .context("could not wait for Ctrl-C")?;
        eprintln!(
            "stopping: answering the requests in flight (at most 5 s; Ctrl-C again stops at once)"
        );
        tokio::select! {
            () = server.shutdown() => {}
            _ = tokio::signal::ctrl_c() => {}
        }
        Ok(exit::SUCCESS)
    })
}
