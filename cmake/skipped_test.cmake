# uvafd_skipped_test(NAME REASON): a test that cannot run in this checkout, registered anyway
# under its own name so that it is counted as skipped (exit 77, SKIP_RETURN_CODE) and prints
# why, instead of leaving the run's count without a word. For tests whose input a user's clone
# does not have (wepoll's sources and tests come from ../shared, beside this repository).
function(uvafd_skipped_test name reason)
  add_test(NAME ${name} COMMAND sh -c "echo \"$1\"; exit 77" sh "${name}: skipped: ${reason}")
  set_tests_properties(${name} PROPERTIES SKIP_RETURN_CODE 77)
endfunction()
