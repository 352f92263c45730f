// `authd serve`: the composition root. Opens the store, builds the services, one loop and
// LoopServer per core, the hashing pool and the mail outbox; waits for SIGTERM/SIGINT on
// the main thread, then drains every loop and closes the store.
#include "tools/server_app.hpp"

#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <thread>

#include "auth/common_passwords.hpp"
#include "auth/mail_outbox.hpp"
#include "auth/routes.hpp"
#include "auth/services.hpp"
#include "auth/validation_listener.hpp"
#include "core/clock.hpp"
#include "core/log.hpp"
#include "core/loop_group.hpp"
#include "core/run_blocking.hpp"
#include "http/server.hpp"
#include "tools/service_endpoints.hpp"
#include "tools/store_setup.hpp"

namespace authd::tools {
namespace {

void raise_fd_limit() {
    rlimit lim{};
    if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
        lim.rlim_cur = lim.rlim_max;
        setrlimit(RLIMIT_NOFILE, &lim);
    }
}

sigset_t stop_signals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    return set;
}

auth::AuthSettings auth_settings(const Config& c) {
    auth::AuthSettings s;
    s.access_ttl = c.access_ttl;
    s.refresh_ttl = c.refresh_ttl;
    s.link_ttl = c.link_ttl;
    s.public_url = c.public_url;
    s.issuer = c.issuer;
    s.require_approval = c.require_approval;
    s.login_max_failures = static_cast<uint32_t>(c.login_max_failures);
    s.list_max = static_cast<size_t>(c.list_max);
    s.forward_cookie = c.forward_cookie;
    s.ip_max_failures = static_cast<uint32_t>(c.login_ip_max_failures);
    s.reset_mails_per_hour = static_cast<uint32_t>(c.reset_mails_per_hour);
    std::string error;  // already checked by load_config
    s.trusted_proxies =
        auth::TrustedProxies::parse(c.trusted_proxies, error).value_or(auth::TrustedProxies{});
    s.forwarded_header = c.forwarded_header == "forwarded" ? auth::ForwardedHeader::forwarded
                                                           : auth::ForwardedHeader::x_forwarded_for;
    return s;
}

http::ServerConfig server_config(const Config& c) {
    http::ServerConfig sc;
    sc.host = c.listen_host;
    sc.port = c.listen_port;
    sc.header_timeout = core::Millis(c.header_timeout * 1000);
    sc.idle_timeout = core::Millis(c.idle_timeout * 1000);
    sc.send_timeout = core::Millis(c.send_timeout * 1000);
    sc.cors_origins = c.cors_origins;
    return sc;
}

// Every loop stops accepting and finishes its connections; the loops keep running until all
// are drained (a draining request may still need another loop, e.g. to spread a revocation)
// and the mail outbox is idle, then all stop together.
void drain_and_stop(core::LoopGroup& loops, std::vector<std::unique_ptr<http::LoopServer>>& servers,
                    auth::Services& services, core::Millis drain_timeout) {
    std::atomic<size_t> drained{0};
    for (size_t i = 0; i < servers.size(); ++i) {
        http::LoopServer* server = servers[i].get();
        loops.loop(i).post(
            [server, &drained] { server->begin_shutdown([&drained] { drained.fetch_add(1); }); });
    }
    if (services.outbox) services.outbox->stop();
    auto deadline = core::mono_now() + drain_timeout + core::Millis(5000);
    while (core::mono_now() < deadline) {
        bool outbox_idle = !services.outbox || services.outbox->idle();
        if (drained.load() == servers.size() && outbox_idle) break;
        std::this_thread::sleep_for(core::Millis(10));
    }
    if (drained.load() != servers.size())
        core::log_warn("shutdown", "drain timed out; stopping anyway");
    for (size_t i = 0; i < servers.size(); ++i) {
        core::Loop* loop = &loops.loop(i);
        auto* slot = &servers[i];
        loop->post([loop, slot] {
            slot->reset();  // freed on its own thread: the ring belongs to it
            loop->stop();
        });
    }
}

// The stored ring (created on first start with EdDSA) as the loops' first KeySet, and the
// sealed text the key watch compares against. nullopt: logged, do not start.
std::optional<std::pair<std::string, std::shared_ptr<const auth::KeySet>>> load_keys(
    store::Store& store, const auth::KeySettings& settings) {
    const int64_t now = core::wall_seconds();
    const bool create = settings.set.alg == auth::SigningAlg::eddsa;
    std::string error;
    auto ring = core::run_blocking(auth::load_key_ring(store, settings, create, now), error);
    if (ring && ring->status != auth::KeysStatus::ok) error = ring->error;
    if (!ring || ring->status != auth::KeysStatus::ok) {
        core::log_error("startup", "cannot load the signing keys: " + error);
        return std::nullopt;
    }
    auto keys = auth::make_key_set(settings, ring->ring, now);
    if (!keys->valid()) {
        core::log_error("startup", "the stored signing keys have no active key");
        return std::nullopt;
    }
    core::log_info("startup", "token signing",
                   {{"alg", create ? "EdDSA" : "HS256"}, {"kid", std::string(keys->active_kid())}});
    return std::make_pair(std::move(ring->sealed), std::move(keys));
}

}  // namespace

int run_server(const Config& config) {
    raise_fd_limit();
    signal(SIGPIPE, SIG_IGN);
    sigset_t signals = stop_signals();
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // every thread inherits the mask

    std::string error;
    auto key = configured_secret_key(config, error);
    if (!key) {
        core::log_error("startup", error);
        return 1;
    }
    if (auto mail_error = auth::check_mail_settings(config.smtp_url, config.email_from)) {
        core::log_error("startup", *mail_error);
        return 1;
    }
    std::unique_ptr<store::Store> store = open_configured_store(config, error);
    if (!store) {
        core::log_error("startup", error);
        return 1;
    }
    auth::HashParams hash_params{static_cast<unsigned long long>(config.argon2_ops),
                                 static_cast<size_t>(config.argon2_memory_kib) * 1024};
    auth::Services services(auth_settings(config), *key, hash_params);
    services.keys = key_settings(config, *key);
    for (const std::string& old : config.secret_key_fallbacks) services.links.add_fallback_key(old);
    auto keys = load_keys(*store, services.keys);
    if (!keys) return 1;
    for (const std::string* spec : {&config.service_clients, &config.service_clients_file_text}) {
        if (auto e = services.service_clients.add_spec(*spec)) {  // checked by load_config too
            core::log_error("startup", *e);
            return 1;
        }
    }
    auth::common_password_count();  // inflate the list now, not on the first signup

    unsigned threads =
        config.threads ? config.threads : std::max(1u, std::thread::hardware_concurrency());
    // Half the loops by default: under a login flood the hash workers then take at most about
    // a third of the CPU from the loops, so validation keeps its latency (bench/login_flood.sh).
    unsigned hash_threads = config.hash_threads ? static_cast<unsigned>(config.hash_threads)
                                                : std::max(1u, threads / 2);
    // Declared after the loops so it is destroyed first: its finished jobs post to them.
    core::LoopGroup loops;
    core::BlockingPool hash_pool(hash_threads, static_cast<size_t>(config.hash_queue));
    http::Metrics metrics(threads);
    http::Router router;
    register_service_endpoints(router);
    auth::register_routes(router);
    services.store = store.get();
    services.loops = &loops;
    services.hash_pool = &hash_pool;
    services.metrics = &metrics;
    services.router = &router;
    metrics.add_source([&store](std::string& out) { store->append_metrics(out); });
    metrics.add_source([](std::string& out) {
        out +=
            "# HELP authd_io_backend The kernel interface the loops run on.\n"
            "# TYPE authd_io_backend gauge\nauthd_io_backend{backend=\"";
        out += core::backend_name(core::Loop::default_backend());
        out += "\"} 1\n";
    });
    metrics.add_source([&hash_pool](std::string& out) {
        out +=
            "# HELP authd_hash_pool_queued Password-hashing jobs waiting for a worker.\n"
            "# TYPE authd_hash_pool_queued gauge\nauthd_hash_pool_queued " +
            std::to_string(hash_pool.queued()) +
            "\n# TYPE authd_hash_pool_capacity gauge\nauthd_hash_pool_capacity " +
            std::to_string(hash_pool.capacity()) + "\n";
    });

    if (!config.superuser_username.empty() && !config.superuser_email.empty() &&
        !config.superuser_password.empty()) {
        auto hash = services.hasher.hash(config.superuser_password);
        auto err = hash ? ensure_superuser(*store, config.superuser_username,
                                           config.superuser_email, *hash, false)
                        : std::optional<std::string>("hashing the superuser password failed");
        if (err) {
            core::log_error("startup", *err);
            return 1;
        }
    }
    if (!config.legacy_simplejwt_key.empty()) {
        services.legacy = load_legacy_tokens(*store, config.legacy_simplejwt_key, error);
        if (!services.legacy) {
            core::log_error("startup", "cannot load the imported users: " + error);
            return 1;
        }
    }
    auto loaded = core::run_blocking(store->load_validation_state(), error);
    if (!loaded || !*loaded) {
        core::log_error("startup", "cannot load the validation state: " +
                                       (loaded ? std::string("the store did not answer") : error));
        return 1;
    }
    const store::ValidationState& state = **loaded;
    std::vector<std::unique_ptr<http::LoopServer>> servers(threads);
    http::ServerConfig sc = server_config(config);
    for (unsigned i = 0; i < threads; ++i) {
        auto ctx = std::make_unique<LoopContext>();
        ctx->services = &services;
        ctx->loop_index = static_cast<int>(i);
        ctx->cache.load(state);
        ctx->keys = keys->second;
        services.contexts.push_back(std::move(ctx));
    }
    // Each loop builds its server on its own thread: the ring belongs to that thread.
    auto init_loop = [&](core::Loop& loop, std::string& why) {
        size_t i = static_cast<size_t>(loop.index());
        servers[i] = std::make_unique<http::LoopServer>(loop, router, sc, metrics.loop(i),
                                                        services.contexts[i].get());
        return servers[i]->start(why);
    };
    if (!loops.start(threads, 4096, init_loop, error)) {
        core::log_error("startup", error);
        return 1;
    }
    // Changes other instances publish through a shared store (Redis) reach every loop from
    // now on; setting it starts with a resync, covering what changed since the load above.
    auth::LoopValidationListener change_listener(services);
    store->set_change_listener(&change_listener);
    auth::start_background_work(services, loops.loop(0), config.smtp_url, config.email_from);
    loops.loop(0).post([&services, &loops, sealed = std::move(keys->first)]() mutable {
        auth::start_key_watch(services, loops.loop(0), std::move(sealed));
    });
    core::log_info("startup", "authd serving",
                   {{"listen", config.listen_host + ":" + std::to_string(config.listen_port)},
                    {"threads", std::to_string(threads)},
                    {"store", config.store}});

    int sig = 0;
    sigwait(&signals, &sig);
    core::log_info("shutdown", "stopping: draining in-flight requests",
                   {{"signal", strsignal(sig)}});
    drain_and_stop(loops, servers, services, sc.drain_timeout);
    loops.join();
    auth::stop_background_work(services);
    store->close();
    core::log_info("shutdown", "stopped cleanly");
    return 0;
}

}  // namespace authd::tools
