//! Prints the name of every command (and `container|sub` subcommand) in the emulator's
//! table, one per line: the input of scripts/record-command-table.py.

fn main() {
    for c in redis_emulator::table::all() {
        println!("{}", c.name);
        for s in c.subcommands {
            println!("{}|{}", c.name, s.name);
        }
    }
}
