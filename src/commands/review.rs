//! `scim-harness pending | accept | reject`: snapshot review without cargo, in any folder.

use colored::Colorize;

use super::emit;
use crate::cli::{SelectArgs, SnapshotDirArgs};
use crate::exit;
use crate::snapshot::{self, Selection};

pub fn pending(args: SnapshotDirArgs) -> anyhow::Result<u8> {
    let pending = snapshot::pending(&args.snapshots)?;
    if pending.is_empty() {
        emit(&format!(
            "No pending snapshots in {}.\n",
            args.snapshots.display()
        ))?;
        return Ok(exit::SUCCESS);
    }
    let mut text = String::new();
    for item in &pending {
        text.push_str(&format!("{}\n", item.to_string().yellow()));
    }
    text.push_str(&format!(
        "\n{} pending. `scim-harness accept --all` makes them the baselines; `scim-harness reject --all` drops them.\n",
        pending.len()
    ));
    emit(&text)?;
    Ok(exit::SUCCESS)
}

pub fn accept(args: SelectArgs) -> anyhow::Result<u8> {
    let accepted = snapshot::accept(&args.dir.snapshots, &selection(&args))?;
    let text: String = accepted
        .iter()
        .map(|path| format!("accepted {}\n", path.display()))
        .collect();
    emit(&text)?;
    Ok(exit::SUCCESS)
}

pub fn reject(args: SelectArgs) -> anyhow::Result<u8> {
    let rejected = snapshot::reject(&args.dir.snapshots, &selection(&args))?;
    let text: String = rejected
        .iter()
        .map(|path| format!("rejected {}\n", path.display()))
        .collect();
    emit(&text)?;
    Ok(exit::SUCCESS)
}

fn selection(args: &SelectArgs) -> Selection {
    match &args.name {
        Some(name) if !args.all => Selection::Name(name.clone()),
        _ => Selection::All,
    }
}
