// Debian's OpenSSL 3 (libssl-dev): TLS for Otter's sockets (the TLS target). What Swift
// cannot import from the headers is wrapped here: function-like macros (SSL_CTX_ctrl
// calls), 64-bit option masks, and the BIO method through which a session reads the
// bytes its socket read and writes the bytes its socket will send — memory handed over
// per call, so a session keeps no buffer of its own between calls.
//
// Everything is static inline: Swift may emit a copy into every object file that uses
// one, so nothing here keeps state but the BIO method, which any copy may make.
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/// The bytes one call hands a session (`in`: read from the peer) and the bytes it wrote
/// (`out`, grown with realloc; the caller copies them out and frees `out`). Set as the
/// BIO's data for the duration of one call.
typedef struct otter_tls_io {
  const unsigned char *in;
  size_t in_len;
  unsigned char *out;
  size_t out_len;
  size_t out_cap;
  int out_failed;
} otter_tls_io;

static inline int otter_tls_bio_write(BIO *bio, const char *data, size_t len, size_t *written) {
  otter_tls_io *io = (otter_tls_io *)BIO_get_data(bio);
  BIO_clear_retry_flags(bio);
  *written = 0;
  if (io == NULL) return 0;
  if (io->out_len + len > io->out_cap) {
    size_t cap = io->out_cap ? io->out_cap : 1024;
    while (cap < io->out_len + len) cap *= 2;
    unsigned char *grown = (unsigned char *)realloc(io->out, cap);
    if (grown == NULL) {
      io->out_failed = 1;
      return 0;
    }
    io->out = grown;
    io->out_cap = cap;
  }
  memcpy(io->out + io->out_len, data, len);
  io->out_len += len;
  *written = len;
  return 1;
}

static inline int otter_tls_bio_read(BIO *bio, char *buffer, size_t len, size_t *read) {
  otter_tls_io *io = (otter_tls_io *)BIO_get_data(bio);
  BIO_clear_retry_flags(bio);
  *read = 0;
  if (io == NULL || io->in_len == 0) {
    // Nothing more until the socket reads again: the session says SSL_ERROR_WANT_READ.
    BIO_set_retry_read(bio);
    return 0;
  }
  size_t n = len < io->in_len ? len : io->in_len;
  memcpy(buffer, io->in, n);
  io->in += n;
  io->in_len -= n;
  *read = n;
  return 1;
}

static inline long otter_tls_bio_ctrl(BIO *bio, int cmd, long num, void *ptr) {
  (void)bio;
  (void)num;
  (void)ptr;
  // Flushing is the socket's business; nothing else applies to this BIO.
  return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

static inline int otter_tls_bio_create(BIO *bio) {
  BIO_set_init(bio, 1);
  return 1;
}

/// The method of the BIO every session reads and writes through, made once (a copy of
/// this function in another object file may make its own: they behave alike).
static inline BIO_METHOD *otter_tls_bio_method(void) {
  static BIO_METHOD *shared;
  BIO_METHOD *method = __atomic_load_n(&shared, __ATOMIC_ACQUIRE);
  if (method != NULL) return method;
  method = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "otter socket");
  if (method == NULL) return NULL;
  BIO_meth_set_write_ex(method, otter_tls_bio_write);
  BIO_meth_set_read_ex(method, otter_tls_bio_read);
  BIO_meth_set_ctrl(method, otter_tls_bio_ctrl);
  BIO_meth_set_create(method, otter_tls_bio_create);
  BIO_METHOD *expected = NULL;
  if (!__atomic_compare_exchange_n(&shared, &expected, method, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
    BIO_meth_free(method);
    return expected;
  }
  return method;
}

/// A new SSL reading and writing through one BIO of that method; NULL if out of memory.
static inline SSL *otter_tls_new(SSL_CTX *context) {
  BIO_METHOD *method = otter_tls_bio_method();
  if (method == NULL) return NULL;
  SSL *ssl = SSL_new(context);
  if (ssl == NULL) return NULL;
  BIO *bio = BIO_new(method);
  if (bio == NULL) {
    SSL_free(ssl);
    return NULL;
  }
  // One BIO both ways: SSL_set_bio takes the one reference.
  SSL_set_bio(ssl, bio, bio);
  return ssl;
}

/// Points the session's BIO at `io` for one call (NULL after it).
static inline void otter_tls_attach(SSL *ssl, otter_tls_io *io) { BIO_set_data(SSL_get_rbio(ssl), io); }

// MARK: - Context settings (macros in the headers)

static inline int otter_tls_ctx_min_version(SSL_CTX *context, int version) {
  return (int)SSL_CTX_set_min_proto_version(context, version);
}

static inline void otter_tls_ctx_release_buffers(SSL_CTX *context) { SSL_CTX_set_mode(context, SSL_MODE_RELEASE_BUFFERS); }

static inline int otter_tls_ctx_groups(SSL_CTX *context, const char *groups) {
  return (int)SSL_CTX_set1_groups_list(context, groups);
}

static inline void otter_tls_ctx_no_session_cache(SSL_CTX *context) {
  SSL_CTX_set_session_cache_mode(context, SSL_SESS_CACHE_OFF);
}

/// The options every context gets: no compression, no renegotiation, the server's order
/// of ciphers, no session tickets (no resumption: chat connections last).
static inline void otter_tls_ctx_options(SSL_CTX *context) {
  SSL_CTX_set_options(context, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE |
                                   SSL_OP_NO_TICKET);
}

/// A key file with a passphrase is refused, never prompted for on the terminal.
static inline int otter_tls_no_passphrase(char *buffer, int size, int rwflag, void *user) {
  (void)buffer;
  (void)size;
  (void)rwflag;
  (void)user;
  return 0;
}

static inline void otter_tls_ctx_refuse_passphrases(SSL_CTX *context) {
  SSL_CTX_set_default_passwd_cb(context, otter_tls_no_passphrase);
}

/// Any certificate is accepted: a client's is asked for to be identified by, not trusted
/// by a chain (its fingerprint is what an account names).
static inline int otter_tls_accept_any(int ok, X509_STORE_CTX *store) {
  (void)ok;
  (void)store;
  return 1;
}

/// Asks the client for a certificate, optional, accepted whatever signed it.
static inline void otter_tls_request_client_certificate(SSL *ssl) { SSL_set_verify(ssl, SSL_VERIFY_PEER, otter_tls_accept_any); }

/// The reason of an error code (ERR_GET_REASON, an inline in the headers).
static inline int otter_tls_error_reason(unsigned long code) { return ERR_GET_REASON(code); }
/// Whether the error is a TLS alert the peer sent (its reason is 1000 + the alert).
static inline int otter_tls_alert_offset(void) { return SSL_AD_REASON_OFFSET; }
