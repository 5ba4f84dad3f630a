from tcverify.cli import main

main()
