/**
 * The database has been contracted by a newer release: a step this node's code does not know has removed or
 * changed what it reads or writes. The node must not serve (nor write) on it.
 */
export class SchemaTooNewError extends Error {
  constructor(
    readonly nodeVersion: string,
    readonly schemaRelease: string,
    readonly migration: string,
  ) {
    super(
      `The database's schema is newer than this node: release ${schemaRelease} has run its contract step ` +
        `${migration}, which ${nodeVersion} does not support. Start this node with release ${schemaRelease} ` +
        `or newer; to go back to ${nodeVersion}, restore the database backup taken before the upgrade ` +
        `(docs/upgrades.md).`,
    );
  }
}
