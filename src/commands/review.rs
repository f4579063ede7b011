//! `scim-harness pending | accept | reject`: snapshot review without cargo, in any folder.

use colored::Colorize;

use crate::cli::{SelectArgs, SnapshotDirArgs};
use crate::exit;
use crate::snapshot::{self, Selection};

pub fn pending(args: SnapshotDirArgs) -> anyhow::Result<u8> {
    let pending = snapshot::pending(&args.snapshots)?;
    if pending.is_empty() {
        println!("No pending snapshots in {}.", args.snapshots.display());
        return Ok(exit::SUCCESS);
    }
    for item in &pending {
        println!("{}", item.to_string().yellow());
    }
    println!(
        "\n{} pending. `scim-harness accept --all` makes them the baselines; `scim-harness reject --all` drops them.",
        pending.len()
    );
    Ok(exit::SUCCESS)
}

pub fn accept(args: SelectArgs) -> anyhow::Result<u8> {
    let accepted = snapshot::accept(&args.dir.snapshots, &selection(&args))?;
    for path in &accepted {
        println!("accepted {}", path.display());
    }
    Ok(exit::SUCCESS)
}

pub fn reject(args: SelectArgs) -> anyhow::Result<u8> {
    let rejected = snapshot::reject(&args.dir.snapshots, &selection(&args))?;
    for path in &rejected {
        println!("rejected {}", path.display());
    }
    Ok(exit::SUCCESS)
}

fn selection(args: &SelectArgs) -> Selection {
    match &args.name {
        Some(name) if !args.all => Selection::Name(name.clone()),
        _ => Selection::All,
    }
}
