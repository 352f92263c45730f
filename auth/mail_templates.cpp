// Mail wording and the HTML rendering of the verification and reset mails.
#include "auth/mail_templates.hpp"

#include <string>

namespace authd::auth {
namespace {

// What one mail says, apart from the greeting and the link.
struct Wording {
    std::string_view subject;
    std::string_view intro;   // before the link
    std::string_view button;  // the HTML link text
    std::string_view outro;   // after the link
};

constexpr Wording kVerification{
    kVerificationSubject,
    "Thanks for signing up. Please confirm your email address by opening this link:",
    "Verify my email address",
    "If you did not create an account, you can ignore this email.",
};

constexpr Wording kReset{
    kResetSubject,
    "We received a request to reset the password of your account. Choose a new password here:",
    "Choose a new password",
    "The link works once and expires after a while. If you did not ask for a new password, you "
    "can ignore this email: your password stays as it is.",
};

// Drops C0 controls and DEL: a username or link can then never break a line.
std::string single_line(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (char c : s) {
        if (static_cast<unsigned char>(c) >= 0x20 && c != 0x7f) out += c;
    }
    return out;
}

void append_html_escaped(std::string& out, std::string_view s) {
    for (char c : s) {
        switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += "&quot;";
                break;
            case '\'':
                out += "&#x27;";
                break;
            default:
                out += c;
        }
    }
}

// Wraps words at 72 columns so the text part reads well in any client.
void append_wrapped(std::string& out, std::string_view text) {
    size_t column = 0;
    while (!text.empty()) {
        size_t space = text.find(' ');
        std::string_view word = text.substr(0, space);
        if (column > 0 && column + 1 + word.size() > 72) {
            out += '\n';
            column = 0;
        } else if (column > 0) {
            out += ' ';
            ++column;
        }
        out += word;
        column += word.size();
        text = space == std::string_view::npos ? std::string_view{} : text.substr(space + 1);
    }
    out += '\n';
}

std::string text_body(const Wording& w, std::string_view username, std::string_view link) {
    std::string out;
    out += username.empty() ? std::string("Hi,") : "Hi " + std::string(username) + ",";
    out += "\n\n";
    append_wrapped(out, w.intro);
    out += '\n';
    out += link;  // alone on its line, never wrapped, so it can be copied whole
    out += "\n\n";
    append_wrapped(out, w.outro);
    return out;
}

std::string html_body(const Wording& w, std::string_view username, std::string_view link) {
    // Only web links become anchors; anything else (a misconfigured public URL) stays text.
    const bool web = link.starts_with("https://") || link.starts_with("http://");
    std::string out = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>";
    append_html_escaped(out, w.subject);
    out += "</title></head>\n<body style=\"font-family: sans-serif; line-height: 1.5;\">\n<p>Hi";
    if (!username.empty()) {
        out += ' ';
        append_html_escaped(out, username);
    }
    out += ",</p>\n<p>";
    append_html_escaped(out, w.intro);
    out += "</p>\n<p>";
    if (web) {
        out += "<a href=\"";
        append_html_escaped(out, link);
        out += "\">";
        append_html_escaped(out, w.button);
        out += "</a></p>\n<p>Or copy this link into your browser:<br>\n";
    }
    append_html_escaped(out, link);
    out += "</p>\n<p>";
    append_html_escaped(out, w.outro);
    out += "</p>\n</body></html>\n";
    return out;
}

store::OutboxMail compose(const Wording& w, std::string_view to, std::string_view username,
                          std::string_view link) {
    const std::string name = single_line(username);
    const std::string url = single_line(link);
    store::OutboxMail mail;
    mail.to = std::string(to);
    mail.subject = std::string(w.subject);
    mail.text_body = text_body(w, name, url);
    mail.html_body = html_body(w, name, url);
    return mail;
}

}  // namespace

store::OutboxMail verification_mail(std::string_view to, std::string_view username,
                                    std::string_view link) {
    return compose(kVerification, to, username, link);
}

store::OutboxMail reset_mail(std::string_view to, std::string_view username,
                             std::string_view link) {
    return compose(kReset, to, username, link);
}

}  // namespace authd::auth
