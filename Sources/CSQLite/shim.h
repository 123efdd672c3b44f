// Debian's SQLite (libsqlite3-dev): chatd's stored history.
#include <sqlite3.h>
