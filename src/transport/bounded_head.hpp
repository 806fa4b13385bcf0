#pragma once

#include <cstddef>
#include <utility>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>

namespace hubcast::transport {

/// The size of a read buffer for messages whose head may be `head_limit` bytes: room for the head
/// and what arrives with it, and the bound on what Beast parses only once it is whole in the
/// buffer (a chunk-size line, a trailer section), which past it is `buffer_overflow`.
constexpr std::size_t bounded_buffer_bytes(std::size_t head_limit) noexcept {
    return head_limit + 16 * 1024;
}

/// Reads the head of an HTTP message into `parser`, then calls `done(ec)`. Beast applies its
/// header limit to the bytes of one parse call and consumes complete fields as they arrive, so a
/// head sent in pieces (say millions of empty `a:` fields) grows past it; here the limit holds
/// over every byte parsed so far plus every byte still waiting in `buffer`
/// (`http::error::header_limit` past it). The caller keeps `stream`, `buffer` and `parser` alive
/// until `done` runs (capture the owner in `done`).
template <typename Stream, typename Parser, typename Done>
void async_read_bounded_head(Stream& stream, boost::beast::flat_buffer& buffer, Parser& parser,
                             std::size_t head_limit, Done done, std::size_t parsed_so_far = 0) {
    namespace http = boost::beast::http;
    http::async_read_some(stream, buffer, parser,
                          [&stream, &buffer, &parser, head_limit, parsed_so_far,
                           done = std::move(done)](boost::system::error_code ec, std::size_t parsed) mutable {
                              if (ec) {
                                  done(ec);
                                  return;
                              }
                              const std::size_t total = parsed_so_far + parsed;
                              const std::size_t waiting = parser.is_header_done() ? 0 : buffer.size();
                              if (total + waiting > head_limit) {
                                  done(http::make_error_code(http::error::header_limit));
                                  return;
                              }
                              if (!parser.is_header_done()) {
                                  async_read_bounded_head(stream, buffer, parser, head_limit, std::move(done),
                                                          total);
                                  return;
                              }
                              done(boost::system::error_code{});
                          });
}

} // namespace hubcast::transport
