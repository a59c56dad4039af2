/* migration_9_notify.c — schema step 9 (reserved for the notify feature). */
#include "store_int.h"

const char kz__migration_9_notify[] = "SELECT 1;";
