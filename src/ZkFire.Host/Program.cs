using ZkFire.Host;

return await CommandLine.RunAsync(args);
