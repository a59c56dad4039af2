/* migration_16_stix_id_keys.c — schema step 16: stix_objects is indexed by a
 * 32-bit key of the id (stix_keys.c says why and how it is made) instead of
 * by the id text with its version.
 *
 * - meta 'stix_id_key': the hash key, 16 random bytes from libsodium
 *   (kz_stix_random_key), made once per database.
 * - stix_objects.idk: kz_stix_key(id), filled here for the rows there are.
 * - stix_objects_id_key replaces the unique stix_objects_version: one id
 *   keeps each version once because the store looks before it inserts
 *   (stix_objects.c put_one, in the writer's transaction), as it already did
 *   to tell a duplicate from a new version.
 */
#include "store_int.h"

const char kz__migration_16_stix_id_keys[] =
    "INSERT INTO meta(key, value) VALUES ('stix_id_key', kz_stix_random_key());"
    "ALTER TABLE stix_objects ADD COLUMN idk INTEGER NOT NULL DEFAULT 0;"
    "UPDATE stix_objects SET idk = kz_stix_key(id);"
    "DROP INDEX IF EXISTS stix_objects_version;"
    "CREATE INDEX stix_objects_id_key ON stix_objects(idk);";
