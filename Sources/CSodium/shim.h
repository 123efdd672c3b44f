// Debian's libsodium (libsodium-dev): Argon2id password hashes, SHA-256 and HMAC for
// chatd's accounts and SASL SCRAM-SHA-256.
#include <sodium.h>
