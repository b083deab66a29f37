// Calls OtaConsole's API with Alibaba's own RPC client, unchanged, as a user's script would; prints one JSON
// object of what it saw. Endpoint and key come from the environment the test sets.
const RPCClient = require('@alicloud/pop-core').RPCClient;

const client = new RPCClient({
  accessKeyId: process.env.OTA_KEY_ID,
  accessKeySecret: process.env.OTA_KEY_SECRET,
  endpoint: process.env.OTA_ENDPOINT,
  apiVersion: '2018-01-20',
});
const post = { method: 'POST' };

(async () => {
  const seen = {};
  const product = await client.request('CreateProduct', { ProductName: '路灯 street lights', NodeType: 0 }, post);
  const pk = product.ProductKey;
  seen.productKey = pk;
  const device = await client.request('RegisterDevice', { ProductKey: pk, DeviceName: 'lamp_01' }, post);
  seen.deviceSecret = device.Data.DeviceSecret;
  const detail = await client.request('QueryDeviceDetail', { ProductKey: pk, DeviceName: 'lamp_01' });
  seen.detailName = detail.Data.DeviceName;
  await client.request('CreateOTAModule', { ProductKey: pk, ModuleName: 'wifi', AliasName: "Wi-Fi (2.4 GHz) *'!", Desc: '模块 ~ a+b=c&d' }, post);
  const modules = await client.request('ListOTAModuleByProduct', { ProductKey: pk });
  seen.modules = modules.Data.map(m => `${m.ModuleName}|${m.AliasName || ''}|${m.Desc || ''}`).sort();
  const devices = await client.request('QueryDevice', { ProductKey: pk, PageSize: 5, CurrentPage: 1 });
  seen.total = devices.Total;
  // A flattened list, sent as pop-core flattens it: TargetDeviceName.1.
  try {
    await client.request('CreateOTAVerifyJob', { FirmwareId: 'nope', ProductKey: pk, TargetDeviceName: ['lamp_01'] }, post);
    seen.error = 'none';
  } catch (e) {
    seen.error = e.code;
    seen.errorMessage = e.data && e.data.Message;
  }
  console.log(JSON.stringify(seen));
})().catch(e => {
  console.log(JSON.stringify({ failed: e.code || e.name, message: e.message }));
  process.exitCode = 1;
});
