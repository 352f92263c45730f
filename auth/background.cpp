// Background work of the auth layer: the mail outbox (on one loop, sending on its own
// small pool so a dead SMTP server never delays hashing) and a periodic prune of expired
// revocations on every loop.
#include <memory>

#include "auth/mail_outbox.hpp"
#include "auth/routes.hpp"
#include "auth/services.hpp"
#include "auth/smtp_sender.hpp"
#include "core/clock.hpp"
#include "core/log.hpp"

namespace authd::auth {
namespace {

constexpr core::Millis prune_interval{60000};

struct Background {
    std::unique_ptr<SmtpSender> sender;
    std::unique_ptr<core::BlockingPool> mail_pool;
    std::unique_ptr<MailOutbox> outbox;
};

Background& background() {
    static Background b;
    return b;
}

void schedule_prune(core::Loop& loop, LoopContext& ctx) {
    loop.add_timer(loop.now() + prune_interval, [&loop, &ctx] {
        ctx.cache.prune(core::wall_seconds());
        schedule_prune(loop, ctx);
    });
}

}  // namespace

std::optional<std::string> check_mail_settings(const std::string& smtp_url,
                                               const std::string& from) {
    SmtpConfig smtp;
    smtp.url = smtp_url;
    smtp.from = from;
    SmtpSender probe(smtp);
    if (!probe.config_error().empty()) return probe.config_error();
    return std::nullopt;
}

void start_background_work(Services& s, core::Loop& home, const std::string& smtp_url,
                           const std::string& from) {
    Background& b = background();
    SmtpConfig smtp;
    smtp.url = smtp_url;
    smtp.from = from;
    b.sender = std::make_unique<SmtpSender>(smtp);
    core::log_info("mail", "mail delivery",
                   {{"smtp", b.sender->console() ? "console" : b.sender->display_url()}});
    b.mail_pool = std::make_unique<core::BlockingPool>(2, 64);
    b.outbox = std::make_unique<MailOutbox>(home, *s.store, *b.sender, *b.mail_pool);
    s.outbox = b.outbox.get();
    if (s.metrics) {
        MailOutbox* outbox = b.outbox.get();
        s.metrics->add_source([outbox](std::string& out) { outbox->append_metrics(out); });
    }
    MailOutbox* outbox = b.outbox.get();
    home.post([outbox] { outbox->start(); });
    for (auto& ctx : s.contexts) {
        core::Loop& loop = s.loops->loop(static_cast<size_t>(ctx->loop_index));
        LoopContext* c = ctx.get();
        loop.post([&loop, c] { schedule_prune(loop, *c); });
    }
}

void stop_background_work(Services& s) {
    Background& b = background();
    s.outbox = nullptr;
    if (b.outbox) b.outbox->stop();
    b.outbox.reset();
    b.mail_pool.reset();
    b.sender.reset();
}

}  // namespace authd::auth
