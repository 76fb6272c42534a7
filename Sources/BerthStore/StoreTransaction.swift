import GRDB

/// The transaction (or read) a store call joins: `store.write { tx in … }` hands one out, and
/// every typed read and write of BerthStore takes it, so "a state change and its event in one
/// transaction" stays one call site. It wraps GRDB's connection: nothing above BerthStore can
/// reach SQL through it.
public struct StoreTransaction {
    let db: Database
    init(_ db: Database) { self.db = db }
}
