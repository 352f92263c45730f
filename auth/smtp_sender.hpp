// SmtpSender: delivers one composed mail over SMTP with libcurl's blocking easy API (run it on
// the mail pool, never on a loop), or writes it to the log when no SMTP URL is configured.
#pragma once
#include <string>

#include "store/types.hpp"

namespace authd::auth {

// AUTHD_SMTP_URL schemes:
//   smtp://host[:port]           plain SMTP, no TLS (a local relay or a test sink);
//   smtp+starttls://host[:port]  SMTP that must upgrade with STARTTLS (typically port 587);
//   smtps://host[:port]          SMTP over TLS from the first byte (typically port 465).
// TLS always verifies the server certificate and host name. Credentials may be given as
// smtp://user:password@host (URL-encoded); they are sent in clear over plain smtp://.
// A path ("smtp://host/example.com") sets the EHLO name, as libcurl defines it.
struct SmtpConfig {
    std::string url;  // empty: console mode (mails go to the log, like Django's console backend)
    std::string from = "authd@localhost";  // "addr" or "Display Name <addr>"
    long connect_timeout_ms = 5000;
    long total_timeout_ms = 15000;
};

class SmtpSender {
  public:
    enum class SendResult { sent, temporary_failure, permanent_failure };

    explicit SmtpSender(SmtpConfig config);

    bool console() const { return config_.url.empty(); }
    // Empty when the configuration is usable, else why not (say so at start-up).
    const std::string& config_error() const { return config_error_; }
    // The URL with any password replaced by "***", for logs.
    std::string display_url() const;

    // Blocking; safe to call from several threads at once. `error` gets a one-line reason on
    // failure (never the message text). 4xx replies, connection failures, timeouts, TLS and
    // login failures are temporary; other 5xx replies and unusable addresses are permanent.
    SendResult send(const store::OutboxMail& mail, std::string& error);

  private:
    SmtpConfig config_;
    std::string curl_url_;      // config_.url with smtp+starttls:// rewritten to smtp://
    bool require_tls_ = false;  // STARTTLS required (smtp+starttls://)
    std::string config_error_;
};

}  // namespace authd::auth
