/* migration_12_stix_versions.c — schema step 12: the kz indicators made from
 * a STIX indicator version live on its row.
 *
 * Why: a bundle of a million indicators wrote a million stix_ind_map rows
 * beside the million object rows; a JSON array in a column of the object's
 * own row costs nothing extra to write. It also answers what a newer version
 * needs (which kz indicators did the earlier versions make) from the rows of
 * one id, through the (id, vkey) index. stix_ind_map's rows move over.
 */
#include "store_int.h"

const char kz__migration_12_stix_versions[] =
    "ALTER TABLE stix_objects ADD COLUMN ind_ids TEXT;"
    "UPDATE stix_objects SET ind_ids ="
    " (SELECT json_group_array(m.ind_id) FROM stix_ind_map m WHERE m.stix_seq = stix_objects.seq)"
    " WHERE seq IN (SELECT stix_seq FROM stix_ind_map);"
    "DROP TABLE stix_ind_map;";
