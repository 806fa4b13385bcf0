# header_check: every header under src/ compiles on its own (make lint, docs/testing.md "Lint").
# One generated translation unit per header includes just that header, so a header that leans on
# what its includers happened to include first fails here. Not part of `all`: only `make lint`
# builds it.
file(GLOB_RECURSE hubcast_headers CONFIGURE_DEPENDS RELATIVE ${PROJECT_SOURCE_DIR}/src
    ${PROJECT_SOURCE_DIR}/src/*.hpp)
set(hubcast_header_units)
foreach(header ${hubcast_headers})
    set(unit ${PROJECT_BINARY_DIR}/header_check/${header}.cpp)
    # file(CONFIGURE) rewrites the unit only when its content changes, so nothing rebuilds needlessly.
    file(CONFIGURE OUTPUT ${unit} CONTENT "#include \"${header}\"\n" @ONLY)
    list(APPEND hubcast_header_units ${unit})
endforeach()
add_library(header_check OBJECT EXCLUDE_FROM_ALL ${hubcast_header_units})
target_compile_options(header_check PRIVATE ${HUBCAST_WARNINGS})
# hubcast_server links every layer and third-party library, so each header finds what it declares
# it needs, and only that it includes.
target_link_libraries(header_check PRIVATE hubcast_server)
