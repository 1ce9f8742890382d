# Guest programs compared with a native x86-64 build of the same source
# instead of qemu-aarch64: those that execve AArch64 programs, which
# qemu-user cannot do without binfmt_misc. run_guest_test.sh runs
# run_native.sh as its reference emulator; the stored reference checks
# the native run as it checks qemu's.
#
#   guest_native_program(NAME SRC file [LEVELS ...] [ARGS ...] [CLUSTER])
#
# CLUSTER: also run at O2 on 2 nodes (and 4 for names with "thread"), as
# guest_program does, and with the mprotect fallback when named in
# GUEST_MPROTECT_DEFAULT; a forked child runs as a lone process on node 0
# (docs/cluster.md).
function(guest_native_program name)
  cmake_parse_arguments(G "CLUSTER" "SRC" "LEVELS;ARGS" ${ARGN})
  if(NOT G_LEVELS)
    set(G_LEVELS O0 O2)
  endif()
  set(src ${GUEST_SRC}/${G_SRC})
  file(MAKE_DIRECTORY ${GUEST_BIN}/native)
  foreach(level ${G_LEVELS})
    set(out ${GUEST_BIN}/${name}-${level})
    set(native ${GUEST_BIN}/native/${name}-${level})
    set(tests guest/${name}/${level})
    if(level STREQUAL O2)
      list(APPEND tests guest-interp/${name}/${level})
      if(G_CLUSTER)
        list(APPEND tests guest-n2/${name}/${level} guest-n4/${name}/${level})
        list(FIND GUEST_MPROTECT_DEFAULT ${name} mp_default)
        if(SHOAL_MPROTECT_TESTS OR NOT mp_default EQUAL -1)
          list(APPEND tests guest-mprotect/${name}/${level})
        endif()
      endif()
    endif()
    if(GUEST_TOOLS_OK)
      add_custom_command(OUTPUT ${out}
        COMMAND ${GUEST_CC} -${level} ${GUEST_CFLAGS} -I${GUEST_SRC} ${src} -o ${out} ${GUEST_LDLIBS}
        DEPENDS ${src} COMMENT "guest program ${name}-${level}" VERBATIM)
      add_custom_command(OUTPUT ${native}
        COMMAND ${CMAKE_C_COMPILER} -${level} -std=gnu11 -D_GNU_SOURCE -Wall -pthread -I${GUEST_SRC}
                ${src} -o ${native} -lm
        DEPENDS ${src} COMMENT "native reference ${name}-${level}" VERBATIM)
      set_property(GLOBAL APPEND PROPERTY GUEST_OUTPUTS ${out} ${native})
    endif()
    foreach(t ${tests})
      if(GUEST_TOOLS_OK)
        add_test(NAME ${t} COMMAND ${GUEST_SRC}/run_guest_test.sh
          --exec $<TARGET_FILE:guest_exec> --qemu ${GUEST_SRC}/run_native.sh
          --shoal $<TARGET_FILE:shoal> --name ${name} --opt ${level}
          --ref-dir ${GUEST_SRC}/ref --prog ${out}
          --timeout ${GUEST_RUN_TIMEOUT} -- ${G_ARGS})
      else()
        add_test(NAME ${t} COMMAND sh -c "echo 'SKIP: guest tools missing'; exit ${GUEST_SKIP_CODE}")
      endif()
      set_tests_properties(${t} PROPERTIES TIMEOUT ${GUEST_TIMEOUT}
        SKIP_RETURN_CODE ${GUEST_SKIP_CODE})
      if(t MATCHES "^guest-interp/")
        set_tests_properties(${t} PROPERTIES LABELS guest-interp
          ENVIRONMENT_MODIFICATION "SHOAL_TEST_ARGS=string_prepend:--interp ")
      elseif(t MATCHES "^guest-mprotect/")
        set(nodes 2)
        if(name MATCHES "thread")
          set(nodes 4)
        endif()
        set_tests_properties(${t} PROPERTIES LABELS guest-mprotect
          ENVIRONMENT_MODIFICATION "SHOAL_TEST_ARGS=string_prepend:-n ${nodes} --fault-mech mprotect ")
      elseif(t MATCHES "^guest-n([0-9]+)/")
        set_tests_properties(${t} PROPERTIES LABELS guest-n${CMAKE_MATCH_1}
          ENVIRONMENT_MODIFICATION "SHOAL_TEST_ARGS=string_prepend:-n ${CMAKE_MATCH_1} ")
      else()
        set_tests_properties(${t} PROPERTIES LABELS guest)
      endif()
    endforeach()
  endforeach()
  if(GUEST_TOOLS_OK AND NOT G_CLUSTER)
    message(STATUS "guest-n2/${name}: not run on a cluster")
  endif()
endfunction()
