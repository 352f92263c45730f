// Tests for outbound mail composition: templates, addresses (punycode), MIME structure,
// RFC 2047 subjects, quoted-printable bodies, header-injection refusal and line lengths.
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include "auth/mail_address.hpp"
#include "auth/mail_templates.hpp"
#include "auth/mime_message.hpp"
#include "smtp_sink_fixture.hpp"

namespace authd::auth {
namespace {

using testing_mail::decode_quoted_printable;
using testing_mail::mime_parts;
using testing_mail::split_part;

constexpr int64_t kNow = 1763780880LL * 1000000;  // Sat, 22 Nov 2025 03:08:00 UTC
const std::string kLink =
    "http://127.0.0.1:8000/auth/verify-email/MQ/"
    "t2x9k0-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef/";

std::vector<std::string> lines_of(std::string_view s, std::string_view sep) {
    std::vector<std::string> out;
    size_t pos = 0;
    for (;;) {
        size_t at = s.find(sep, pos);
        out.emplace_back(
            s.substr(pos, at == std::string_view::npos ? std::string_view::npos : at - pos));
        if (at == std::string_view::npos) return out;
        pos = at + sep.size();
    }
}

std::string base64_decode(std::string_view b64) {
    std::string out(b64.size(), '\0');
    int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(b64.data()),
                            static_cast<int>(b64.size()));
    size_t pad = b64.ends_with("==") ? 2 : b64.ends_with("=") ? 1 : 0;
    out.resize(static_cast<size_t>(n) - pad);
    return out;
}

// Decodes an unfolded run of "=?UTF-8?B?...?=" words.
std::string decode_encoded_words(std::string_view value) {
    std::string out;
    size_t pos = 0;
    while ((pos = value.find("=?UTF-8?B?", pos)) != std::string_view::npos) {
        size_t end = value.find("?=", pos + 10);
        out += base64_decode(value.substr(pos + 10, end - pos - 10));
        pos = end + 2;
    }
    return out;
}

MimeMessage build(const store::OutboxMail& mail, std::string_view from = "authd@localhost") {
    std::string error;
    auto msg = build_mime_message(mail, from, kNow, error);
    EXPECT_TRUE(msg) << error;
    return msg ? *msg : MimeMessage{};
}

TEST(MailTemplates, VerificationHasFixedSubjectAndLinkOnItsOwnLine) {
    auto mail = verification_mail("ann@example.com", "ann", kLink);
    EXPECT_EQ(mail.to, "ann@example.com");
    EXPECT_EQ(mail.subject, "Verify your email address");
    auto lines = lines_of(mail.text_body, "\n");
    EXPECT_NE(std::find(lines.begin(), lines.end(), kLink), lines.end()) << mail.text_body;
    EXPECT_NE(mail.text_body.find("Hi ann,"), std::string::npos);
    EXPECT_NE(mail.html_body.find("<a href=\"" + kLink + "\">"), std::string::npos)
        << mail.html_body;
    EXPECT_EQ(mail.id, 0);
    EXPECT_EQ(mail.attempts, 0u);
}

TEST(MailTemplates, ResetHasFixedSubjectAndLinkOnItsOwnLine) {
    const std::string link = "https://auth.example.com/auth/password_reset_confirm/Mg/t2x9k0-ab/";
    auto mail = reset_mail("bob@example.com", "bob", link);
    EXPECT_EQ(mail.subject, "Reset your password");
    auto lines = lines_of(mail.text_body, "\n");
    EXPECT_NE(std::find(lines.begin(), lines.end(), link), lines.end()) << mail.text_body;
    EXPECT_NE(mail.html_body.find("href=\"" + link + "\""), std::string::npos);
    for (auto& line : lines) EXPECT_LE(line.size(), 76u) << line;
}

TEST(MailTemplates, HtmlEscapesUsernameAndLink) {
    const std::string link = "https://x.example/auth/verify-email/MQ/a\"b<c>&d'e/";
    auto mail = verification_mail("a@example.com", "<script>alert(1)</script>&\"'", link);
    EXPECT_EQ(mail.html_body.find("<script>"), std::string::npos);
    EXPECT_NE(mail.html_body.find("&lt;script&gt;alert(1)&lt;/script&gt;&amp;&quot;&#x27;"),
              std::string::npos);
    EXPECT_NE(
        mail.html_body.find(
            "href=\"https://x.example/auth/verify-email/MQ/a&quot;b&lt;c&gt;&amp;d&#x27;e/\""),
        std::string::npos)
        << mail.html_body;
    // The text part is not HTML: the link stays exactly as given there.
    EXPECT_NE(mail.text_body.find("\n" + link + "\n"), std::string::npos);
}

TEST(MailTemplates, ControlCharactersCannotBreakTheLinkLine) {
    auto mail = verification_mail("a@example.com", "eve\r\nBcc: x@y.z",
                                  "http://h/auth/verify-email/MQ/a\r\nb/");
    EXPECT_NE(mail.text_body.find("\nhttp://h/auth/verify-email/MQ/ab/\n"), std::string::npos)
        << mail.text_body;
    EXPECT_NE(mail.text_body.find("Hi eveBcc: x@y.z,"), std::string::npos);
}

TEST(MailTemplates, NonWebLinkIsNotAnAnchor) {
    auto mail = verification_mail("a@example.com", "a", "javascript:alert(1)");
    EXPECT_EQ(mail.html_body.find("<a href"), std::string::npos);
}

TEST(MimeMessage, HeadersAndStructure) {
    auto msg = build(verification_mail("Ann.Lee+x@Example.COM", "ann", kLink),
                     "authd <noreply@example.com>");
    EXPECT_EQ(msg.envelope_from, "noreply@example.com");
    EXPECT_EQ(msg.envelope_to, "Ann.Lee+x@example.com");
    auto top = split_part(msg.bytes);
    EXPECT_EQ(top.header("From"), "\"authd\" <noreply@example.com>");
    EXPECT_EQ(top.header("To"), "Ann.Lee+x@example.com");
    EXPECT_EQ(top.header("Subject"), "Verify your email address");
    EXPECT_EQ(top.header("Date"), "Sat, 22 Nov 2025 03:08:00 +0000");
    EXPECT_EQ(top.header("MIME-Version"), "1.0");
    std::string id = top.header("Message-ID");
    EXPECT_TRUE(id.starts_with("<") && id.ends_with("@example.com>")) << id;
    EXPECT_TRUE(
        top.header("Content-Type").starts_with("multipart/alternative; boundary=\"=_authd_"));
    auto parts = mime_parts(msg.bytes);
    ASSERT_EQ(parts.size(), 2u);
    EXPECT_EQ(parts[0].header("Content-Type"), "text/plain; charset=utf-8");
    EXPECT_EQ(parts[1].header("Content-Type"), "text/html; charset=utf-8");
    EXPECT_EQ(parts[0].header("Content-Transfer-Encoding"), "quoted-printable");
    EXPECT_TRUE(msg.bytes.ends_with("--\r\n"));
}

TEST(MimeMessage, DecodedTextPartKeepsTheLinkOnItsOwnLine) {
    auto mail = verification_mail("ann@example.com", "ann", kLink);
    auto parts = mime_parts(build(mail).bytes);
    ASSERT_EQ(parts.size(), 2u);
    std::string text = decode_quoted_printable(parts[0].body);
    auto lines = lines_of(text, "\r\n");
    EXPECT_NE(std::find(lines.begin(), lines.end(), kLink), lines.end()) << text;
    std::string html = decode_quoted_printable(parts[1].body);
    EXPECT_NE(html.find("<a href=\"" + kLink + "\">"), std::string::npos);
}

TEST(MimeMessage, EveryLineEndsWithCrlfAndIsShort) {
    store::OutboxMail mail = verification_mail("a@example.com", "a", kLink);
    mail.text_body += std::string(2000, 'x') + "\n" + std::string(500, ' ') + "\nlone\rcr\n";
    mail.html_body += std::string(1500, 'y');
    auto msg = build(mail);
    for (size_t i = 0; i < msg.bytes.size(); ++i) {
        if (msg.bytes[i] == '\n') {
            ASSERT_TRUE(i > 0 && msg.bytes[i - 1] == '\r') << "bare LF at " << i;
        }
        if (msg.bytes[i] == '\r') {
            ASSERT_EQ(msg.bytes[i + 1], '\n') << "bare CR at " << i;
        }
    }
    for (auto& line : lines_of(msg.bytes, "\r\n")) EXPECT_LE(line.size(), 78u) << line;
    auto parts = mime_parts(msg.bytes);
    ASSERT_EQ(parts.size(), 2u);
    std::string expected = mail.text_body;
    std::string crlf;
    for (char c : expected) crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
    EXPECT_EQ(decode_quoted_printable(parts[0].body),
              crlf);  // the CRLF before "--" is the delimiter's
}

TEST(MimeMessage, TextOnlyMailIsOneTextPart) {
    store::OutboxMail mail;
    mail.to = "a@example.com";
    mail.subject = "Hello";
    mail.text_body = "line one\n.line with a dot\n";
    auto msg = build(mail);
    auto top = split_part(msg.bytes);
    EXPECT_EQ(top.header("Content-Type"), "text/plain; charset=utf-8");
    EXPECT_EQ(decode_quoted_printable(top.body), "line one\r\n.line with a dot\r\n\r\n");
}

TEST(MimeMessage, NonAsciiSubjectIsEncodedWords) {
    store::OutboxMail mail;
    mail.to = "a@example.com";
    mail.subject =
        "Vérifiez votre adresse électronique — ✉ très long sujet pour plier la ligne en deux mots";
    mail.text_body = "x";
    auto msg = build(mail);
    size_t at = msg.bytes.find("Subject: ");
    size_t end = msg.bytes.find("\r\nDate: ");
    EXPECT_NE(msg.bytes.substr(at, end - at).find("\r\n "), std::string::npos)
        << "long subject should fold";
    std::string folded = split_part(msg.bytes).header("Subject");
    for (auto& line : lines_of(msg.bytes.substr(at, end - at), "\r\n"))
        EXPECT_LE(line.size(), 78u) << line;
    EXPECT_TRUE(folded.starts_with("=?UTF-8?B?"));
    EXPECT_EQ(decode_encoded_words(folded), mail.subject);
}

TEST(MimeMessage, AsciiSubjectThatLooksEncodedIsEncoded) {
    auto subject = encode_header_text("=?UTF-8?B?aGk=?=", 9);
    ASSERT_TRUE(subject);
    EXPECT_EQ(decode_encoded_words(*subject), "=?UTF-8?B?aGk=?=");
}

TEST(MimeMessage, RefusesHeaderInjectionInAddressesAndSubject) {
    std::string error;
    for (const std::string& bad : std::vector<std::string>{
             "a@example.com\r\nBcc: victim@example.com", "a@example.com\nBcc: v@example.com",
             std::string("a@example.com\0x", 15), "a@exa\tmple.com", "a b@example.com",
             "<a@example.com>", "a@example.com, b@example.com", "a@example.com>",
             "\"a\"@example.com", "a@@example.com", "@example.com", "a@", "a@example..com",
             ".a@example.com", "a@example.com\x7f", "a@exam\xc3ple.com", "\xc3\xa9@example.com"}) {
        store::OutboxMail mail;
        mail.to = bad;
        mail.subject = "s";
        EXPECT_FALSE(build_mime_message(mail, "authd@localhost", kNow, error)) << bad;
        EXPECT_EQ(error, "invalid recipient address");
        EXPECT_FALSE(normalize_mail_address(bad)) << bad;
    }
    store::OutboxMail mail;
    mail.to = "a@example.com";
    for (const std::string& bad :
         std::vector<std::string>{"Hi\r\nBcc: v@example.com", "Hi\nX: y", "Hi\rX",
                                  std::string("a\0b", 3), "tab\there", "\xff\xfe", "c1\xc2\x85"}) {
        mail.subject = bad;
        EXPECT_FALSE(build_mime_message(mail, "authd@localhost", kNow, error)) << bad;
        EXPECT_EQ(error, "invalid subject");
    }
    mail.subject = "ok";
    EXPECT_FALSE(build_mime_message(mail, "authd@localhost\r\nBcc: v@example.com", kNow, error));
    EXPECT_FALSE(build_mime_message(mail, "Evil\r\nBcc: v@x.com <a@example.com>", kNow, error));
    EXPECT_EQ(error, "invalid sender address");
    EXPECT_TRUE(build_mime_message(mail, "authd@localhost", kNow, error));
}

TEST(MimeMessage, BoundaryAndMessageIdAreUnique) {
    auto mail = verification_mail("a@example.com", "a", kLink);
    auto a = split_part(build(mail).bytes), b = split_part(build(mail).bytes);
    EXPECT_NE(a.header("Message-ID"), b.header("Message-ID"));
    EXPECT_NE(a.header("Content-Type"), b.header("Content-Type"));
}

TEST(MimeMessage, DisplayNames) {
    store::OutboxMail mail = verification_mail("a@example.com", "a", kLink);
    EXPECT_EQ(split_part(build(mail, "\"Site, Inc.\" <n@example.com>").bytes).header("From"),
              "\"Site, Inc.\" <n@example.com>");
    EXPECT_EQ(split_part(build(mail, "Say \\\"hi <n@example.com>").bytes).header("From"),
              "\"Say \\\\\\\"hi\" <n@example.com>");
    std::string from = split_part(build(mail, "Café Auth <n@example.com>").bytes).header("From");
    EXPECT_TRUE(from.starts_with("=?UTF-8?B?")) << from;
    EXPECT_EQ(decode_encoded_words(from), "Café Auth");
}

TEST(QuotedPrintable, EncodesWhatMustBeEncoded) {
    EXPECT_EQ(encode_quoted_printable("a=b"), "a=3Db");
    EXPECT_EQ(encode_quoted_printable("trailing \nspace\t"), "trailing=20\r\nspace=09");
    EXPECT_EQ(encode_quoted_printable("in side"), "in side");
    EXPECT_EQ(encode_quoted_printable("é"), "=C3=A9");
    EXPECT_EQ(encode_quoted_printable(".dot\r\n.\n"), ".dot\r\n.\r\n");
    EXPECT_EQ(encode_quoted_printable("From here\nFrom "), "=46rom here\r\n=46rom=20");
    std::string long_line(200, 'a');
    std::string encoded = encode_quoted_printable(long_line);
    for (auto& line : lines_of(encoded, "\r\n")) EXPECT_LE(line.size(), 76u);
    EXPECT_EQ(decode_quoted_printable(encoded), long_line);
    std::string accents;
    for (int i = 0; i < 100; ++i) accents += "é";
    encoded = encode_quoted_printable(accents);
    for (auto& line : lines_of(encoded, "\r\n")) {
        EXPECT_LE(line.size(), 76u);
        EXPECT_TRUE(line.size() < 3 || line[line.size() - 2] != '=') << "split escape: " << line;
    }
    EXPECT_EQ(decode_quoted_printable(encoded), accents);
}

TEST(MailAddress, PunycodeVectors) {
    EXPECT_EQ(punycode_encode(U"bücher"), "bcher-kva");
    EXPECT_EQ(punycode_encode(U"münchen"), "mnchen-3ya");
    EXPECT_EQ(punycode_encode(U"例え"), "r8jz45g");
    EXPECT_EQ(punycode_encode(U"テスト"), "zckzah");
    // RFC 3492 §7.1 (A) Arabic (Egyptian).
    EXPECT_EQ(punycode_encode(
                  U"\u0644\u064A\u0647\u0645\u0627\u0628\u062A\u0643\u0644\u0645\u0648\u0634\u0639"
                  U"\u0631\u0628\u064A\u061F"),
              "egbpdaj6bu4bxfgehfvwxn");
}

TEST(MailAddress, NormalizesDomains) {
    EXPECT_EQ(normalize_mail_address("user@Bücher.DE"), "user@xn--bcher-kva.de");
    EXPECT_EQ(normalize_mail_address("x@例え.テスト"), "x@xn--r8jz45g.xn--zckzah");
    EXPECT_EQ(normalize_mail_address("authd@localhost"), "authd@localhost");
    EXPECT_EQ(normalize_mail_address("o'neil.{x}+tag@sub-1.example.org"),
              "o'neil.{x}+tag@sub-1.example.org");
    EXPECT_FALSE(normalize_mail_address(std::string(250, 'a') + "@example.com"));
    EXPECT_FALSE(normalize_mail_address("a@" + std::string(64, 'b') + ".com"));
    EXPECT_FALSE(normalize_mail_address("a@b_c.com"));
}

TEST(MailAddress, ParsesConfiguredSender) {
    auto plain = parse_mailbox(" authd@localhost ");
    ASSERT_TRUE(plain);
    EXPECT_EQ(plain->display, "");
    EXPECT_EQ(plain->address, "authd@localhost");
    auto named = parse_mailbox("Example Site <noreply@example.com>");
    ASSERT_TRUE(named);
    EXPECT_EQ(named->display, "Example Site");
    EXPECT_EQ(named->address, "noreply@example.com");
    EXPECT_FALSE(parse_mailbox("Name <>"));
    EXPECT_FALSE(parse_mailbox("noreply@example.com>"));
    EXPECT_FALSE(parse_mailbox(""));
}

TEST(MailDate, Formats) {
    EXPECT_EQ(format_mail_date(0), "Thu, 01 Jan 1970 00:00:00 +0000");
    EXPECT_EQ(format_mail_date(951782400), "Tue, 29 Feb 2000 00:00:00 +0000");
}

}  // namespace
}  // namespace authd::auth
