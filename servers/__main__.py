from servers.cli import main

main()
