# hubcast_layer(NAME DEPS ...): one static library per folder under src/, named hubcast_<NAME>,
# built from every .cpp in the folder. Include paths are rooted at src/ so code writes
# #include "core/router.hpp".
set(HUBCAST_WARNINGS -Wall -Wextra -Wpedantic -Wno-missing-field-initializers)

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
