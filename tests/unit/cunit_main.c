/* Shared main for the CUnit test programs: each test_*.c defines
 * test_register(), which adds its suites to the registry. */
#include <CUnit/Basic.h>
#include <stdio.h>

void test_register(void);

int main(void) {
    if (CU_initialize_registry() != CUE_SUCCESS) return 2;
    test_register();
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
    unsigned run = CU_get_number_of_tests_run();
    CU_cleanup_registry();
    if (run == 0) {
        fprintf(stderr, "no test ran\n");
        return 1;
    }
    return failed ? 1 : 0;
}
