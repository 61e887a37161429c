from gkh.cli import main

main()
