# HUBCAST_SANITIZE=address,undefined or HUBCAST_SANITIZE=thread instruments every target of the
# tree (libraries, the hubcast binary and the tests), so the integration tests spawn an
# instrumented server. `make test` and `make test-tsan` configure their own trees with it
# (docs/testing.md, "Sanitizers").
set(HUBCAST_SANITIZE "" CACHE STRING "Sanitizers for the whole tree: address,undefined | thread | empty for none")

if(HUBCAST_SANITIZE)
    if(NOT HUBCAST_SANITIZE MATCHES "^(address|undefined|address,undefined|undefined,address|thread)$")
        message(FATAL_ERROR "HUBCAST_SANITIZE=${HUBCAST_SANITIZE}: use address,undefined or thread")
    endif()
    # -fno-sanitize-recover=all: the first UBSan report ends the process with a failure status,
    # so no report can scroll past in a passing run.
    # -O1: about half the compile time of -O3 and still fast enough for the timing-bound tests.
    # -UNDEBUG: the assertions that guard invariants (e.g. core/shard.hpp's re-entry check) must
    # fire here whatever the build type adds; it comes after the build type's -DNDEBUG.
    # -fno-sanitize=vptr: UBSan's dynamic-type check probes memory through a pipe it opens on the
    # spot, and the descriptor-limit tests run hubcast out of descriptors on purpose, where the
    # probe fails and reports a false "invalid vptr". What it catches, a member call through an
    # object of another dynamic type, needs virtual classes, which are few here, and its commonest
    # cause, a use after free, is AddressSanitizer's to report.
    set(hubcast_no_vptr)
    if(HUBCAST_SANITIZE MATCHES "undefined")
        set(hubcast_no_vptr -fno-sanitize=vptr)
    endif()
    add_compile_options(-fsanitize=${HUBCAST_SANITIZE} ${hubcast_no_vptr} -fno-sanitize-recover=all
        -fno-omit-frame-pointer -O1 -g1 -UNDEBUG)
    add_link_options(-fsanitize=${HUBCAST_SANITIZE} ${hubcast_no_vptr})
    if(HUBCAST_SANITIZE MATCHES "address")
        # libstdc++'s bounds and precondition checks (operator[], front(), optional::operator*):
        # cheap, ABI-compatible, and they turn a silent overrun into a report.
        add_compile_definitions(_GLIBCXX_ASSERTIONS)
    endif()
    if(HUBCAST_SANITIZE STREQUAL "thread")
        # ThreadSanitizer does not model std::atomic_thread_fence, which Asio puts around every
        # handler it runs. Those handlers are handed between threads under the scheduler's mutex,
        # which ThreadSanitizer does see, so Asio's no-op fenced block loses no ordering here and
        # spares the -Wtsan warnings.
        add_compile_definitions(BOOST_ASIO_DISABLE_FENCED_BLOCK)
    endif()
endif()

# hubcast_sanitizer_defaults(TARGET): links the runtime options of cmake/sanitizer_defaults.cpp
# into an executable of a sanitizer build; nothing otherwise.
function(hubcast_sanitizer_defaults target)
    if(HUBCAST_SANITIZE)
        target_sources(${target} PRIVATE ${PROJECT_SOURCE_DIR}/cmake/sanitizer_defaults.cpp)
    endif()
endfunction()
