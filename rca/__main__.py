from rca.cli import main

main()
