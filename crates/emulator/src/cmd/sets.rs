//! Sets: the command table entries and their handlers.

use crate::table::CommandSpec;

pub const COMMANDS: &[CommandSpec] = &[];
