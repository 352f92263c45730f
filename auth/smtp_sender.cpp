// SMTP delivery with libcurl (one easy handle per mail, on a pool thread) and the console
// backend; maps libcurl outcomes and SMTP reply codes to temporary or permanent failures.
#include "auth/smtp_sender.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <string_view>

#include "auth/mail_address.hpp"
#include "auth/mime_message.hpp"
#include "core/clock.hpp"
#include "core/log.hpp"

namespace authd::auth {
namespace {

// curl_global_init is not thread-safe: run it once, before any pool thread sends.
void init_curl_once() {
    static const CURLcode rc = curl_global_init(CURL_GLOBAL_DEFAULT);
    (void)rc;
}

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    return out;
}

struct Upload {
    std::string_view data;
    size_t pos = 0;
};

size_t read_upload(char* buffer, size_t size, size_t nitems, void* userp) {
    auto* up = static_cast<Upload*>(userp);
    size_t n = std::min(size * nitems, up->data.size() - up->pos);
    std::memcpy(buffer, up->data.data() + up->pos, n);
    up->pos += n;
    return n;
}

// Owns the easy handle and the recipient list for one delivery.
struct Transfer {
    CURL* curl = curl_easy_init();
    curl_slist* rcpt = nullptr;
    ~Transfer() {
        curl_slist_free_all(rcpt);
        if (curl) curl_easy_cleanup(curl);
    }
};

SmtpSender::SendResult classify(CURLcode rc, long code) {
    // A refused login or an unverifiable certificate is a server-side configuration problem
    // that an operator can fix, so the mail waits for it instead of being dropped.
    if (rc == CURLE_LOGIN_DENIED || rc == CURLE_PEER_FAILED_VERIFICATION ||
        rc == CURLE_SSL_CONNECT_ERROR || rc == CURLE_USE_SSL_FAILED) {
        return SmtpSender::SendResult::temporary_failure;
    }
    if (code >= 500 && code < 600) return SmtpSender::SendResult::permanent_failure;
    return SmtpSender::SendResult::temporary_failure;  // 4xx, no reply, refused, timed out
}

}  // namespace

SmtpSender::SmtpSender(SmtpConfig config) : config_(std::move(config)) {
    init_curl_once();
    if (!parse_mailbox(config_.from)) config_error_ = "AUTHD_EMAIL_FROM is not a valid address";
    if (console()) return;
    const size_t sep = config_.url.find("://");
    const std::string scheme = lower(config_.url.substr(0, sep));
    const std::string rest = sep == std::string::npos ? std::string() : config_.url.substr(sep);
    if (scheme == "smtp+starttls") {
        curl_url_ = "smtp" + rest;
        require_tls_ = true;
    } else if (scheme == "smtp" || scheme == "smtps") {
        curl_url_ = config_.url;
    }
    const bool clean = std::none_of(config_.url.begin(), config_.url.end(), [](char c) {
        return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f;
    });
    if (curl_url_.empty() || rest.size() <= 3 || !clean) {
        config_error_ = "AUTHD_SMTP_URL must be smtp://, smtp+starttls:// or smtps://host[:port]";
    }
}

std::string SmtpSender::display_url() const {
    const size_t start = config_.url.find("://");
    const size_t at = config_.url.find('@');
    const size_t slash = config_.url.find('/', start == std::string::npos ? 0 : start + 3);
    if (start == std::string::npos || at == std::string::npos ||
        (slash != std::string::npos && at > slash)) {
        return config_.url;
    }
    const size_t colon = config_.url.find(':', start + 3);
    if (colon == std::string::npos || colon > at) return config_.url;
    return config_.url.substr(0, colon + 1) + "***" + config_.url.substr(at);
}

SmtpSender::SendResult SmtpSender::send(const store::OutboxMail& mail, std::string& error) {
    error.clear();
    if (!config_error_.empty()) {
        error = config_error_;
        return SendResult::temporary_failure;  // fixable by the operator; keep the mail
    }
    auto msg = build_mime_message(mail, config_.from, core::wall_micros(), error);
    if (!msg) return SendResult::permanent_failure;
    if (console()) {
        core::log_info("mail", "console mail (AUTHD_SMTP_URL not set)",
                       {{"from", msg->envelope_from},
                        {"to", msg->envelope_to},
                        {"subject", mail.subject},
                        {"text", mail.text_body}});
        return SendResult::sent;
    }

    Transfer t;
    if (!t.curl) {
        error = "curl_easy_init failed";
        return SendResult::temporary_failure;
    }
    const std::string mail_from = "<" + msg->envelope_from + ">";
    t.rcpt = curl_slist_append(nullptr, ("<" + msg->envelope_to + ">").c_str());
    Upload upload{msg->bytes};
    char curl_error[CURL_ERROR_SIZE] = {};
    CURL* c = t.curl;
    curl_easy_setopt(c, CURLOPT_URL, curl_url_.c_str());
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    curl_easy_setopt(c, CURLOPT_USE_SSL,
                     static_cast<long>(require_tls_ ? CURLUSESSL_ALL : CURLUSESSL_NONE));
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(c, CURLOPT_MAIL_FROM, mail_from.c_str());
    curl_easy_setopt(c, CURLOPT_MAIL_RCPT, t.rcpt);
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(msg->bytes.size()));
    curl_easy_setopt(c, CURLOPT_READFUNCTION, read_upload);
    curl_easy_setopt(c, CURLOPT_READDATA, &upload);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, config_.connect_timeout_ms);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, config_.total_timeout_ms);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);  // no SIGALRM on pool threads
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, curl_error);

    const CURLcode rc = curl_easy_perform(c);
    if (rc == CURLE_OK) return SendResult::sent;
    long code = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    error = code > 0 ? "SMTP " + std::to_string(code) + ": " : std::string();
    error += curl_error[0] ? curl_error : curl_easy_strerror(rc);
    return classify(rc, code);
}

}  // namespace authd::auth
