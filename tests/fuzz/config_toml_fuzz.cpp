// fuzz-extra-sources: src/server/options.cpp src/server/hub_config.cpp
// fuzz-extra-sources: src/server/settings_table.cpp src/core/hub_settings.cpp
// fuzz-extra-sources: src/upstream/webhook_url.cpp src/backplane/redis_url.cpp
// fuzz-extra-sources: src/api/trusted_proxies.cpp src/auth/public_endpoint.cpp
//
// libFuzzer target for the configuration file (src/server/options*, hub_config*): the TOML text
// the server reads at start and again on SIGHUP, where a bad edit must leave the server running
// with an error, never crash it.
//
// The input is the file's text. Whatever the bytes, load_config_text returns a configuration or
// an error naming the file (no exception escapes: an escaping one aborts the fuzzer), and
// validate() answers too. A configuration that validates is printed as --print-config prints it;
// that text must load and validate again and print the same (the printed configuration is one
// the server accepts, and printing is a fixed point).

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "server/options.hpp"

namespace {

using namespace hubcast;

const std::string source = "fuzz.toml";

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    server::server_options options;
    options.workers = 1; // effective_workers() would print this machine's core count otherwise
    const auto loaded = server::load_config_text(text, source, options);
    if (!loaded) {
        FUZZ_CHECK(loaded.error().rfind("config file " + source + ": ", 0) == 0);
        return 0;
    }
    const auto valid = server::validate(options);
    if (!valid) {
        FUZZ_CHECK(!valid.error().empty());
        return 0;
    }
    const std::string printed = server::to_toml(options);
    server::server_options reread;
    const auto reloaded = server::load_config_text(printed, source, reread);
    if (!reloaded) {
        std::fprintf(stderr, "printed configuration does not load: %s\n%s\n", reloaded.error().c_str(),
                     printed.c_str());
    }
    FUZZ_CHECK(reloaded);
    const auto revalidated = server::validate(reread);
    if (!revalidated) {
        std::fprintf(stderr, "printed configuration does not validate: %s\n%s\n", revalidated.error().c_str(),
                     printed.c_str());
    }
    FUZZ_CHECK(revalidated);
    const std::string reprinted = server::to_toml(reread);
    if (reprinted != printed) {
        std::fprintf(stderr, "printed twice differently:\n%s\n---\n%s\n", printed.c_str(), reprinted.c_str());
    }
    FUZZ_CHECK(reprinted == printed);
    return 0;
}
