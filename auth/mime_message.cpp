// Message assembly for outbound mail: headers (only validated values reach them), the MIME
// structure with a random boundary, and the quoted-printable and RFC 2047 encoders.
#include "auth/mime_message.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cstdlib>
#include <ctime>

#include "auth/mail_address.hpp"
#include "auth/unicode_text.hpp"

namespace authd::auth {
namespace {

constexpr size_t kQpLineMax = 76;       // RFC 2045: encoded lines at most 76 characters
constexpr size_t kHeaderLineMax = 998;  // RFC 5322 hard limit
constexpr size_t kHeaderTextMax = 900;  // bytes of subject / display name we accept
// Bytes per encoded word: 56 base64 characters, 68 in all, so "Subject: " + word <= 78.
constexpr size_t kWordPayloadMax = 42;

constexpr char kHex[] = "0123456789ABCDEF";

std::string random_hex(size_t bytes) {
    unsigned char buf[32];
    if (bytes > sizeof buf) bytes = sizeof buf;
    if (RAND_bytes(buf, static_cast<int>(bytes)) != 1) {
        // Only uniqueness matters here (boundary, Message-ID), not secrecy.
        for (size_t i = 0; i < bytes; ++i) buf[i] = static_cast<unsigned char>(std::rand());
    }
    std::string out;
    for (size_t i = 0; i < bytes; ++i) {
        out += static_cast<char>(kHex[buf[i] >> 4] | 0x20);  // lower-case hex digits
        out += static_cast<char>(kHex[buf[i] & 15] | 0x20);
    }
    return out;
}

std::string base64(std::string_view bytes) {
    std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
    int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(bytes.data()),
                            static_cast<int>(bytes.size()));
    out.resize(static_cast<size_t>(n));
    return out;
}

bool printable_ascii(std::string_view s) {
    for (char c : s) {
        if (c < 0x20 || c > 0x7e) return false;
    }
    return true;
}

// Valid UTF-8 without control characters (CR, LF, NUL, TAB, DEL, C1, ...), bounded.
bool valid_header_text(std::string_view text) {
    if (text.size() > kHeaderTextMax) return false;
    for (size_t pos = 0; pos < text.size();) {
        auto cp = decode_utf8(text, pos);
        if (!cp || is_control(*cp)) return false;
    }
    return true;
}

// RFC 2047 "B" encoded words of whole code points (each decodes on its own), folded.
std::string encoded_words(std::string_view text) {
    std::string out;
    for (size_t start = 0; start < text.size();) {
        size_t end = start;
        while (end < text.size()) {
            size_t next = end;
            decode_utf8(text, next);
            if (next - start > kWordPayloadMax) break;
            end = next;
        }
        if (!out.empty()) out += "\r\n ";
        out += "=?UTF-8?B?" + base64(text.substr(start, end - start)) + "?=";
        start = end;
    }
    return out;
}

// Text that a decoder would leave alone: printable ASCII that does not look like an encoded word.
bool plain_header_text(std::string_view text) {
    return printable_ascii(text) && text.find("=?") == std::string_view::npos;
}

// A display name as a quoted-string (ASCII) or encoded words (anything else).
std::optional<std::string> format_mailbox(const Mailbox& box) {
    if (box.display.empty()) return box.address;
    if (!valid_header_text(box.display)) return std::nullopt;
    std::string out;
    if (plain_header_text(box.display)) {
        out += '"';
        for (char c : box.display) {
            if (c == '"' || c == '\\') out += '\\';
            out += c;
        }
        out += '"';
    } else {
        out = encoded_words(box.display);
    }
    return out + " <" + box.address + ">";
}

// One part's headers and quoted-printable body.
void append_part(std::string& out, std::string_view type, std::string_view body) {
    out += "Content-Type: ";
    out += type;
    out += "; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n";
    out += encode_quoted_printable(body);
    out += "\r\n";
}

std::optional<std::string> build_headers(const store::OutboxMail& mail, const Mailbox& from,
                                         const std::string& to, int64_t now_us,
                                         std::string& error) {
    auto from_header = format_mailbox(from);
    auto subject = encode_header_text(mail.subject, 9);  // "Subject: "
    if (!from_header) {
        error = "invalid sender display name";
        return std::nullopt;
    }
    if (!subject) {
        error = "invalid subject";
        return std::nullopt;
    }
    std::string h;
    h.reserve(512);
    h += "From: " + *from_header + "\r\n";
    h += "To: " + to + "\r\n";
    h += "Subject: " + *subject + "\r\n";
    h += "Date: " + format_mail_date(now_us / 1000000) + "\r\n";
    h += "Message-ID: <" + random_hex(16) + "@" + from.address.substr(from.address.find('@') + 1) +
         ">\r\n";
    h += "MIME-Version: 1.0\r\n";
    h += "Auto-Submitted: auto-generated\r\n";  // RFC 3834: no vacation replies to a robot
    return h;
}

}  // namespace

std::string encode_quoted_printable(std::string_view text) {
    std::string out;
    out.reserve(text.size() + text.size() / 8 + 16);
    size_t line = 0;  // characters on the current output line
    auto emit = [&](const char* token, size_t n) {
        if (line + n > kQpLineMax - 1) {  // leave room for the soft break's '='
            out += "=\r\n";
            line = 0;
        }
        out.append(token, n);
        line += n;
    };
    auto ends_line = [&](size_t i) {  // is text[i] the last character before a line break?
        return i + 1 == text.size() || text[i + 1] == '\n' ||
               (text[i + 1] == '\r' && i + 2 < text.size() && text[i + 2] == '\n');
    };
    for (size_t i = 0; i < text.size(); ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c == '\n') {
            out += "\r\n";
            line = 0;
            continue;
        }
        if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') continue;
        bool literal =
            (c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !ends_line(i));
        // "From " at a line start gets mangled by mbox tools; encoding the F keeps it intact.
        if (c == 'F' && line == 0 && text.substr(i, 5) == "From ") literal = false;
        if (literal) {
            const char ch = static_cast<char>(c);
            emit(&ch, 1);
        } else {
            const char token[3] = {'=', kHex[c >> 4], kHex[c & 15]};
            emit(token, 3);
        }
    }
    return out;
}

std::optional<std::string> encode_header_text(std::string_view text, size_t used) {
    if (!valid_header_text(text)) return std::nullopt;
    // Plain ASCII stays readable; past 78 columns it is still legal up to 998.
    if (plain_header_text(text) && used + text.size() <= kHeaderLineMax) return std::string(text);
    return encoded_words(text);
}

std::string format_mail_date(int64_t unix_seconds) {
    static constexpr const char* days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static constexpr const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                             "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    time_t t = static_cast<time_t>(unix_seconds);
    tm u{};
    gmtime_r(&t, &u);
    char buf[48];
    int n =
        snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[u.tm_wday % 7],
                 u.tm_mday, months[u.tm_mon % 12], u.tm_year + 1900, u.tm_hour, u.tm_min, u.tm_sec);
    return std::string(buf, n > 0 ? static_cast<size_t>(n) : 0);
}

std::optional<MimeMessage> build_mime_message(const store::OutboxMail& mail, std::string_view from,
                                              int64_t now_us, std::string& error) {
    auto sender = parse_mailbox(from);
    if (!sender) {
        error = "invalid sender address";
        return std::nullopt;
    }
    auto to = normalize_mail_address(mail.to);
    if (!to) {
        error = "invalid recipient address";
        return std::nullopt;
    }
    auto headers = build_headers(mail, *sender, *to, now_us, error);
    if (!headers) return std::nullopt;

    MimeMessage msg;
    msg.bytes = std::move(*headers);
    if (mail.html_body.empty()) {
        append_part(msg.bytes, "text/plain", mail.text_body);
    } else {
        // "=_" cannot occur in quoted-printable text, so the boundary never collides with a part.
        const std::string boundary = "=_authd_" + random_hex(16);
        msg.bytes +=
            "Content-Type: multipart/alternative;\r\n boundary=\"" + boundary + "\"\r\n\r\n";
        msg.bytes += "This is a multi-part message in MIME format.\r\n";
        msg.bytes += "--" + boundary + "\r\n";
        append_part(msg.bytes, "text/plain", mail.text_body);
        msg.bytes += "--" + boundary + "\r\n";
        append_part(msg.bytes, "text/html", mail.html_body);
        msg.bytes += "--" + boundary + "--\r\n";
    }
    msg.envelope_from = std::move(sender->address);
    msg.envelope_to = std::move(*to);
    return msg;
}

}  // namespace authd::auth
