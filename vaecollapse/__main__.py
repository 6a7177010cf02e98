from vaecollapse.cli import run_main

run_main()
