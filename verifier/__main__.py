from tcverify.commands.cli import main

main()
