# hubcast_layer(NAME DEPS ...): one static library per folder under src/, named hubcast_<NAME>,
# built from every .cpp in the folder. Include paths are rooted at src/ so code writes
# #include "core/router.hpp".
set(HUBCAST_WARNINGS -Wall -Wextra -Wpedantic -Wno-missing-field-initializers)
# The Makefile's tree (build/: make run, make build, make test) turns warnings in hubcast's own code
# into errors, so a new warning fails `make test`. Third-party headers are system includes and the
# generated protobuf code is built without these flags, so neither is affected. Off by default (other
# compilers than Debian 12's GCC 12, which the code is kept clean with, may warn differently). In
# the sanitizer trees (the tree `make test` compiles the tests in) every warning is an error but
# -Wmaybe-uninitialized: GCC's instrumentation brings false reports of its own there, which the
# release tree, where the same code is checked with it, does not have.
option(HUBCAST_WERROR "Treat warnings in hubcast's own code as errors" OFF)
if(HUBCAST_WERROR)
    list(APPEND HUBCAST_WARNINGS -Werror)
    if(HUBCAST_SANITIZE)
        list(APPEND HUBCAST_WARNINGS -Wno-error=maybe-uninitialized)
    endif()
endif()

function(hubcast_layer name)
    file(GLOB sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cpp)
    if(NOT sources)
        # A layer with headers only so far.
        add_library(hubcast_${name} INTERFACE)
        target_include_directories(hubcast_${name} INTERFACE ${PROJECT_SOURCE_DIR}/src)
        target_link_libraries(hubcast_${name} INTERFACE ${ARGN})
        return()
    endif()
    add_library(hubcast_${name} STATIC ${sources})
    target_include_directories(hubcast_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
    target_compile_options(hubcast_${name} PRIVATE ${HUBCAST_WARNINGS} PUBLIC ${HUBCAST_ARCH_FLAGS})
    target_link_libraries(hubcast_${name} PUBLIC ${ARGN})
endfunction()
