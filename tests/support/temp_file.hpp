#pragma once

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include <unistd.h>

namespace hubcast::test {

/// Writes `text` to a new file in the temporary directory and returns its path. The name is
/// `hubcast_<hint>_<pid>_<n>.<extension>`: ctest runs tests in parallel processes, and several
/// checkouts may run their suites on one machine, so no two tests ever share a file.
inline std::string write_temp_file(std::string_view hint, std::string_view text,
                                   std::string_view extension = "toml") {
    static std::atomic<unsigned> counter{0};
    const auto name = "hubcast_" + std::string(hint) + "_" + std::to_string(::getpid()) + "_" +
                      std::to_string(counter.fetch_add(1)) + "." + std::string(extension);
    const auto path = std::filesystem::temp_directory_path() / name;
    std::ofstream(path) << text;
    return path.string();
}

} // namespace hubcast::test
